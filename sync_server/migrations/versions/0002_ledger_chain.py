"""hash-chained ledger: chain position, previous and own hash per entry; chain heads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from common.ledger_chain import GENESIS, HASHED_FIELDS, entry_hash_v1

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("uq_ledger_chain", ["merchant_id", "chain_seq"], unique=True)
        batch_op.create_index(
            "ix_ledger_unsealed",
            ["id"],
            unique=False,
            postgresql_where=sa.text("chain_seq IS NULL"),
            sqlite_where=sa.text("chain_seq IS NULL"),
        )
    op.create_table(
        "ledger_chain_heads",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_ledger_chain_heads_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_ledger_chain_heads")),
    )
    _chain_existing_entries()


def _chain_existing_entries() -> None:
    """Entries written before the chain existed are chained in id order."""
    from sync_server.models import LedgerEntry  # typed columns: datetimes come back aware

    table = LedgerEntry.__table__
    cols = [table.c[name] for name in HASHED_FIELDS if name != "chain_seq"]
    bind = op.get_bind()
    merchants = [m for (m,) in bind.execute(sa.select(table.c.merchant_id).distinct())]
    for merchant_id in merchants:
        seq, last = 0, GENESIS
        rows = bind.execute(
            sa.select(*cols).where(table.c.merchant_id == merchant_id).order_by(table.c.id)
        ).mappings()
        updates = []
        for row in rows:
            seq += 1
            entry = {**row, "chain_seq": seq}
            digest = entry_hash_v1(last, entry)
            updates.append({"_id": row["id"], "seq": seq, "prev": last, "hash": digest})
            last = digest
        if updates:
            bind.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("_id"))
                .values(
                    chain_seq=sa.bindparam("seq"),
                    prev_hash=sa.bindparam("prev"),
                    entry_hash=sa.bindparam("hash"),
                ),
                updates,
            )
        bind.execute(
            sa.text(
                "INSERT INTO ledger_chain_heads (merchant_id, last_seq, last_hash) "
                "VALUES (:m, :s, :h)"
            ),
            {"m": merchant_id, "s": seq, "h": last},
        )


def downgrade() -> None:
    op.drop_table("ledger_chain_heads")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_unsealed", sqlite_where=sa.text("chain_seq IS NULL"))
        batch_op.drop_index("uq_ledger_chain")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("chain_seq")
