"""wallet passes (Apple, Google), registered devices, the APNs push outbox, per-program switches

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=False),
        sa.Column("auth_token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("apple_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_tag", sa.BigInteger(), nullable=False),
        sa.Column("rendered_state", sa.String(length=64), nullable=False),
        sa.Column("google_object_id", sa.String(length=128), nullable=True),
        sa.Column("google_state", sa.String(length=64), nullable=False),
        sa.Column("google_pending", sa.Boolean(), nullable=False),
        sa.Column("google_patch_day", sa.Date(), nullable=True),
        sa.Column("google_patches_on_day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_wallet_passes_card_id_cards")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_wallet_passes_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_passes")),
        sa.UniqueConstraint("card_id", name=op.f("uq_wallet_passes_card_id")),
        sa.UniqueConstraint("serial_number", name=op.f("uq_wallet_passes_serial_number")),
    )
    with op.batch_alter_table("wallet_passes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_passes_merchant_id"), ["merchant_id"], unique=False
        )

    op.create_table(
        "wallet_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pass_id", sa.Integer(), nullable=False),
        sa.Column("device_library_id", sa.String(length=128), nullable=False),
        sa.Column("push_token", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pass_id"],
            ["wallet_passes.id"],
            name=op.f("fk_wallet_registrations_pass_id_wallet_passes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_registrations")),
        sa.UniqueConstraint(
            "pass_id",
            "device_library_id",
            name=op.f("uq_wallet_registrations_pass_id_device_library_id"),
        ),
    )
    with op.batch_alter_table("wallet_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_registrations_device_library_id"),
            ["device_library_id"],
            unique=False,
        )

    op.create_table(
        "wallet_pushes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("update_tag", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["wallet_registrations.id"],
            name=op.f("fk_wallet_pushes_registration_id_wallet_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_pushes")),
        sa.UniqueConstraint(
            "registration_id",
            "update_tag",
            name=op.f("uq_wallet_pushes_registration_id_update_tag"),
        ),
    )
    with op.batch_alter_table("wallet_pushes", schema=None) as batch_op:
        batch_op.create_index("ix_wallet_pushes_pending", ["sent_at", "id"], unique=False)

    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "apple_wallet_enabled", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                "google_wallet_enabled", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("google_wallet_enabled")
        batch_op.drop_column("apple_wallet_enabled")

    with op.batch_alter_table("wallet_pushes", schema=None) as batch_op:
        batch_op.drop_index("ix_wallet_pushes_pending")

    op.drop_table("wallet_pushes")
    with op.batch_alter_table("wallet_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_registrations_device_library_id"))

    op.drop_table("wallet_registrations")
    with op.batch_alter_table("wallet_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_passes_merchant_id"))

    op.drop_table("wallet_passes")
