"""Merchants, their stores, the people who log in, and their bearer tokens."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sync_server.models.base import Base, UTCDateTime, utcnow


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    qr_key: Mapped[str] = mapped_column(String(64), doc="hex HMAC key of QR payloads")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stores: Mapped[list["Store"]] = relationship(back_populates="merchant")


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Wrong PINs entered without naming the staff member are counted per store.
    anonymous_pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    anonymous_pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant: Mapped[Merchant] = relationship(back_populates="stores")


class User(Base):
    """A person with a password: the merchant owner, or a manager of one store."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A store-scoped bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NumberAllocator(Base):
    """Next card-number serial of an issuing node (0 = this server)."""

    __tablename__ = "number_allocators"

    node: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    next_serial: Mapped[int] = mapped_column(Integer, default=1)
