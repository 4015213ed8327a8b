"""The append-only ledger: one row per effect on a card, with who, where and when."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, BigId, UTCDateTime, utcnow


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        # One earn per order reference and card: the database backs the rule.
        Index(
            "uq_ledger_earn_order_reference",
            "card_id",
            "order_reference",
            unique=True,
            postgresql_where=text("type = 'POINTS_EARNED' AND order_reference IS NOT NULL"),
            sqlite_where=text("type = 'POINTS_EARNED' AND order_reference IS NOT NULL"),
        ),
        Index("ix_ledger_card_id_id", "card_id", "id"),
        Index("ix_ledger_merchant_id_id", "merchant_id", "id"),
        Index("ix_ledger_related", "related_transaction_id"),
        Index("ix_ledger_pull", "store_id", "change_txid", "id"),
        # The chain position of each entry is unique per merchant.
        Index("uq_ledger_chain", "merchant_id", "chain_seq", unique=True),
        # Entries written by the open transaction and not yet sealed into the chain.
        Index(
            "ix_ledger_unsealed",
            "id",
            postgresql_where=text("chain_seq IS NULL"),
            sqlite_where=text("chain_seq IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    staff_pin_id: Mapped[int | None] = mapped_column(ForeignKey("staff_pins.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(32))
    stamps_delta: Mapped[int] = mapped_column(Integer, default=0)
    points_delta: Mapped[int] = mapped_column(Integer, default=0)
    stamp_count_after: Mapped[int] = mapped_column(Integer)
    points_balance_after: Mapped[int] = mapped_column(Integer)
    purchase_amount_cents: Mapped[int | None] = mapped_column(Integer)
    order_reference: Mapped[str | None] = mapped_column(String(100))
    reward_id: Mapped[str | None] = mapped_column(String(64))
    reward_name: Mapped[str | None] = mapped_column(String(255))
    related_transaction_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ledger_entries.id")
    )
    related_op_id: Mapped[str | None] = mapped_column(
        String(36), doc="the refused till op an attention resolution settles"
    )
    client_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(String(1100))
    change_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    # Sealed at commit (sync_server/ledger_chain.py); NULL only inside the writing
    # transaction.
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))
    # Chain format v2 (common/ledger_chain.py): the hash covers a salted digest of each
    # personal field; erasing a value erases its salt with it. Set by the seal.
    chain_version: Mapped[int | None] = mapped_column(SmallInteger)
    notes_salt: Mapped[str | None] = mapped_column(String(32))
    notes_digest: Mapped[str | None] = mapped_column(String(64))
    ip_address_salt: Mapped[str | None] = mapped_column(String(32))
    ip_address_digest: Mapped[str | None] = mapped_column(String(64))
    user_agent_salt: Mapped[str | None] = mapped_column(String(32))
    user_agent_digest: Mapped[str | None] = mapped_column(String(64))


class LedgerChainHead(Base):
    """The last sealed entry of a merchant's chain; its row lock orders the sealing."""

    __tablename__ = "ledger_chain_heads"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    # The v1 head this chain was re-sealed from by migration 0008 (NULL: none), so an
    # auditor holding the old head can tie it to the new chain.
    v1_last_seq: Mapped[int | None] = mapped_column(BigInteger)
    v1_last_hash: Mapped[str | None] = mapped_column(String(64))
