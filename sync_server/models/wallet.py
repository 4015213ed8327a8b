"""Wallet passes of cards (Apple Wallet, Google Wallet), the devices registered for
Apple's updates, and the push outbox that makes each update reach a device once."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, BigId, UTCDateTime, utcnow


class WalletPass(Base):
    """One card's pass, shared by both wallets: the server's balance it last rendered
    (``rendered_state``) tells the worker when a reconciliation changed what it shows."""

    __tablename__ = "wallet_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), unique=True)
    # Apple's serialNumber; random, so it says nothing about the card number.
    serial_number: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 (hex) of the pass's ApplePass token; the token itself is derived
    # (sync_server/wallet) so a database copy alone cannot call the web service.
    auth_token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Apple: when a .pkpass was first handed out (NULL: never, has_apple_wallet false).
    apple_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last-Modified of the pass and the tag of passesUpdatedSince (microseconds, UTC).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    update_tag: Mapped[int] = mapped_column(BigInteger, default=0)
    # A digest of the fields the pass shows, as last rendered (common/wallet_pass.py).
    rendered_state: Mapped[str] = mapped_column(String(64), default="")
    # Google: the LoyaltyObject id once created (NULL: has_google_wallet false).
    google_object_id: Mapped[str | None] = mapped_column(String(128))
    # The state the Google object shows, and the one waiting for a PATCH under quota.
    google_state: Mapped[str] = mapped_column(String(64), default="")
    google_pending: Mapped[bool] = mapped_column(default=False)
    google_patch_day: Mapped[date | None] = mapped_column(Date)
    google_patches_on_day: Mapped[int] = mapped_column(Integer, default=0)


class WalletRegistration(Base):
    """A device that asked Apple's web service for updates of one pass."""

    __tablename__ = "wallet_registrations"
    __table_args__ = (UniqueConstraint("pass_id", "device_library_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("wallet_passes.id", ondelete="CASCADE"))
    device_library_id: Mapped[str] = mapped_column(String(128), index=True)
    push_token: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WalletPush(Base):
    """One empty APNs push owed to one registration for one update of its pass; the
    unique key makes the outbox hold it once however many workers mark the update."""

    __tablename__ = "wallet_pushes"
    __table_args__ = (
        UniqueConstraint("registration_id", "update_tag"),
        Index("ix_wallet_pushes_pending", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("wallet_registrations.id", ondelete="CASCADE")
    )
    update_tag: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # apns status of the last attempt (200, 410, ...), for the operator.
    last_status: Mapped[int | None] = mapped_column(Integer)
