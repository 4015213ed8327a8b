"""progressive PIN lockouts (level, day's failures) and indexes to purge expired rows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PURGE_INDEXES = (
    ("throttles", "ix_throttles_window_start", "window_start"),
    ("pin_failure_events", "ix_pin_failure_events_received_at", "received_at"),
    ("pairing_codes", "ix_pairing_codes_expires_at", "expires_at"),
)


def upgrade() -> None:
    with op.batch_alter_table("staff_pins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lockout_level", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("daily_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("daily_since", sa.DateTime(timezone=True), nullable=True))
    for table, name, column in _PURGE_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, [column], unique=False)


def downgrade() -> None:
    for table, name, _column in reversed(_PURGE_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    with op.batch_alter_table("staff_pins", schema=None) as batch_op:
        batch_op.drop_column("daily_since")
        batch_op.drop_column("daily_failures")
        batch_op.drop_column("lockout_level")
