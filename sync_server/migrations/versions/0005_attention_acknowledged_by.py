"""who acknowledged an attention item (staff PIN or person) and their note

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_ops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by_pin_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_note", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_ops", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_note")
        batch_op.drop_column("acknowledged_by_pin_id")
        batch_op.drop_column("acknowledged_by")
