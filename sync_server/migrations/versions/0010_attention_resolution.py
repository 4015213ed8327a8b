"""attention items resolved (re-applied or dismissed) and the ledger link to the op

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SYNC_OPS = (
    ("resolution_id", sa.String(length=36)),
    ("resolution_action", sa.String(length=16)),
    ("resolution_reason", sa.String(length=500)),
    ("resolved_at", sa.DateTime(timezone=True)),
    ("resolved_by", sa.String(length=200)),
    ("resolved_by_pin_id", sa.Integer()),
    ("resolution_transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
)


def upgrade() -> None:
    with op.batch_alter_table("sync_ops", schema=None) as batch_op:
        for name, kind in _SYNC_OPS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("related_op_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("related_op_id")
    with op.batch_alter_table("sync_ops", schema=None) as batch_op:
        for name, _ in reversed(_SYNC_OPS):
            batch_op.drop_column(name)
