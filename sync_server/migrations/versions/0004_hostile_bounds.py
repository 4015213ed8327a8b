"""64-bit lifetime totals on cards; per-till pull facts: last pull time, cursor key

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOTALS = (
    "total_stamps_earned",
    "stamps_redeemed",
    "total_stamps_voided",
    "total_points_earned",
    "points_redeemed",
    "total_points_voided",
    "total_points_adjusted",
)


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        for name in _TOTALS:
            batch_op.alter_column(name, existing_type=sa.Integer(), type_=sa.BigInteger())
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_pull_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cursor_key", sa.String(length=64), nullable=True))
    terminals = sa.table("terminals", sa.column("id", sa.Integer), sa.column("cursor_key"))
    bind = op.get_bind()
    for (terminal_id,) in bind.execute(sa.select(terminals.c.id)).all():
        bind.execute(
            terminals.update()
            .where(terminals.c.id == terminal_id)
            .values(cursor_key=secrets.token_hex(32))
        )
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.alter_column("cursor_key", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.drop_column("cursor_key")
        batch_op.drop_column("last_pull_at")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        for name in _TOTALS:
            batch_op.alter_column(name, existing_type=sa.BigInteger(), type_=sa.Integer())
