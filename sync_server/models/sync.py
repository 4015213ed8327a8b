"""Paired terminals, pairing codes, pushed operations and throttles."""

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, BigId, UTCDateTime, utcnow


def new_cursor_key() -> str:
    return secrets.token_hex(32)


class Terminal(Base):
    """A till paired to one store; it authenticates with a device token (hash stored)."""

    __tablename__ = "terminals"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pull_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, doc="when the server last served this till a pull: its snapshot's age"
    )
    cursor_key: Mapped[str] = mapped_column(
        String(64), default=new_cursor_key, doc="signs the pull cursors made for this till"
    )


class PairingCode(Base):
    """A short-lived, single-use code an owner hands to a new till (hash stored)."""

    __tablename__ = "pairing_codes"
    __table_args__ = (Index("ix_pairing_codes_expires_at", "expires_at"),)  # purge

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))


class Throttle(Base):
    """Failed attempts per key (e.g. 'pair:<ip>') in a fixed window, shared by workers."""

    __tablename__ = "throttles"
    __table_args__ = (Index("ix_throttles_window_start", "window_start"),)  # purge

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SyncOp(Base):
    """One pushed operation and its outcome: the idempotency record of (terminal, op_id),
    written in the same transaction as the ledger effect."""

    __tablename__ = "sync_ops"
    __table_args__ = (
        UniqueConstraint("terminal_id", "op_id"),
        UniqueConstraint("terminal_id", "seq"),
        Index("ix_sync_ops_pull", "terminal_id", "change_txid", "id"),
        Index("ix_sync_ops_attention", "merchant_id", "code", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    op_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(BigInteger)
    body_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    op_type: Mapped[str] = mapped_column(String(32))
    card_number: Mapped[str] = mapped_column(String(16))
    staff_pin_id: Mapped[int | None] = mapped_column(Integer)
    offline: Mapped[bool] = mapped_column(default=False)
    redeemed_points: Mapped[int | None] = mapped_column(
        Integer, doc="for redemptions: points (or stamps) given away, for offline limits"
    )
    client_time: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(String(500))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who: a staff PIN's name (acknowledged at a till) or a person's email (the API).
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_by_pin_id: Mapped[int | None] = mapped_column(Integer)
    acknowledged_note: Mapped[str | None] = mapped_column(String(500))
    # Resolved (docs/sync-protocol.md, "Resolution"): re-applied as a ledger adjustment
    # or dismissed, once; resolution_id is the resolving op's (or API call's) own id.
    resolution_id: Mapped[str | None] = mapped_column(String(36))
    resolution_action: Mapped[str | None] = mapped_column(String(16))
    resolution_reason: Mapped[str | None] = mapped_column(String(500))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_by_pin_id: Mapped[int | None] = mapped_column(Integer)
    resolution_transaction_id: Mapped[int | None] = mapped_column(BigId)
    change_txid: Mapped[int] = mapped_column(BigInteger, default=0)


class PinFailureEvent(Base):
    """A wrong PIN typed at an offline till, counted once toward the store's lockout."""

    __tablename__ = "pin_failure_events"
    __table_args__ = (
        UniqueConstraint("terminal_id", "event_id"),
        Index("ix_pin_failure_events_received_at", "received_at"),  # purge
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    event_id: Mapped[str] = mapped_column(String(36))
    staff_pin_id: Mapped[int] = mapped_column(ForeignKey("staff_pins.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CardAlias(Base):
    """A card number enrolled offline for a customer who meanwhile got a card elsewhere:
    it keeps working and points at the surviving card."""

    __tablename__ = "card_aliases"
    __table_args__ = (Index("ix_card_aliases_pull", "merchant_id", "change_txid", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_number: Mapped[str] = mapped_column(String(16), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change_txid: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncClock(Base):
    """SQLite only: a commit-ordered counter standing in for PostgreSQL transaction ids."""

    __tablename__ = "sync_clock"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
