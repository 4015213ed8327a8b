"""ledger chain format v2: salted digests of personal fields, so they can be erased

Existing chains are verified in format v1 (the migration stops on a broken one) and
re-sealed in v2; each head records the v1 head it was derived from. The downgrade
re-seals in v1 and refuses once any personal value was erased.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sync_server.ledger_reseal import reseal_all

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERSONAL = ("notes", "ip_address", "user_agent")


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_version", sa.SmallInteger(), nullable=True))
        for field in _PERSONAL:
            batch_op.add_column(sa.Column(f"{field}_salt", sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column(f"{field}_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("ledger_chain_heads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("v1_last_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("v1_last_hash", sa.String(length=64), nullable=True))
    op.execute("UPDATE ledger_entries SET chain_version = 1 WHERE chain_seq IS NOT NULL")
    reseal_all(op.get_bind(), 2)


def downgrade() -> None:
    reseal_all(op.get_bind(), 1)
    with op.batch_alter_table("ledger_chain_heads", schema=None) as batch_op:
        batch_op.drop_column("v1_last_hash")
        batch_op.drop_column("v1_last_seq")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        for field in reversed(_PERSONAL):
            batch_op.drop_column(f"{field}_digest")
            batch_op.drop_column(f"{field}_salt")
        batch_op.drop_column("chain_version")
