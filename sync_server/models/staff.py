"""Staff PINs: one store each, argon2id-hashed, with their lockout counters."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, UTCDateTime, utcnow


class StaffPin(Base):
    __tablename__ = "staff_pins"
    __table_args__ = (Index("ix_staff_pins_pull", "store_id", "change_txid", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    staff_id: Mapped[str | None] = mapped_column(String(50))
    pin_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Progressive lockout (common/pins.py): lockouts since a manager's unlock, and the
    # wrong entries of the day that began at daily_since, successes or not.
    lockout_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    daily_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    daily_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Deleted PINs stay for the ledger entries that name them, invisible to the API.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    change_txid: Mapped[int] = mapped_column(BigInteger, default=0)
