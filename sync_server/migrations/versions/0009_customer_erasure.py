"""customer erasure: customers.email nullable, customers.erased_at, the erasure log,
and the merchant's choice of what an erased customer's cards become

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("merchant_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erasure_cards", sa.String(length=8), nullable=True))
    op.create_table(
        "customer_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_by_user_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("card_policy", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_customer_erasures_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_erasures")),
    )
    op.create_index(
        "ix_customer_erasures_merchant_id",
        "customer_erasures",
        ["merchant_id", "customer_id"],
        unique=False,
    )


def downgrade() -> None:
    """Erased customers have no email: a schema that requires one cannot hold them, so
    they go back with a placeholder address that names no one."""
    op.drop_index("ix_customer_erasures_merchant_id", table_name="customer_erasures")
    op.drop_table("customer_erasures")
    with op.batch_alter_table("merchant_settings", schema=None) as batch_op:
        batch_op.drop_column("erasure_cards")
    op.execute("UPDATE customers SET email = 'erased-' || id || '@invalid' WHERE email IS NULL")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=False)
