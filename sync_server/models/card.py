"""Customers (per merchant) and their loyalty cards with balances and counters."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sync_server.models.base import Base, UTCDateTime, utcnow


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("merchant_id", "email"),
        Index("ix_customers_pull", "merchant_id", "change_txid", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    # NULL once erased (common/erasure.py): the row stays for the cards and ledger.
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    change_txid: Mapped[int] = mapped_column(BigInteger, default=0)


class Card(Base):
    __tablename__ = "cards"
    __table_args__ = (Index("ix_cards_pull", "merchant_id", "change_txid", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    card_number: Mapped[str] = mapped_column(String(16), unique=True)
    qr_code_data: Mapped[str] = mapped_column(String(64))
    enrolled_at_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    stamp_count: Mapped[int] = mapped_column(Integer, default=0)
    total_stamps_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    stamps_redeemed: Mapped[int] = mapped_column(BigInteger, default=0)
    total_stamps_voided: Mapped[int] = mapped_column(BigInteger, default=0)
    points_balance: Mapped[int] = mapped_column(Integer, default=0)
    total_points_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    points_redeemed: Mapped[int] = mapped_column(BigInteger, default=0)
    total_points_voided: Mapped[int] = mapped_column(BigInteger, default=0)
    total_points_adjusted: Mapped[int] = mapped_column(BigInteger, default=0)
    stamps_day: Mapped[date | None] = mapped_column(Date)
    stamps_on_day: Mapped[int] = mapped_column(Integer, default=0)
    last_stamp_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_points_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_redemption_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    change_txid: Mapped[int] = mapped_column(BigInteger, default=0)

    customer: Mapped[Customer] = relationship(lazy="joined")
