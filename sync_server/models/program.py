"""The merchant's loyalty program and merchant-level settings."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, UTCDateTime, utcnow


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), unique=True)
    loyalty_type: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200))
    stamps_target: Mapped[int] = mapped_column(Integer)
    stamps_reward_description: Mapped[str] = mapped_column(String(255))
    cooldown_minutes: Mapped[int] = mapped_column(Integer)
    max_daily_stamps: Mapped[int] = mapped_column(Integer)
    points_per_currency_unit: Mapped[int] = mapped_column(Integer)
    points_rewards: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    welcome_bonus_points: Mapped[int] = mapped_column(Integer, default=0)
    require_staff_pin: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Wallet passes the owner enabled for this program (docs/wallets.md).
    apple_wallet_enabled: Mapped[bool] = mapped_column(default=False)
    google_wallet_enabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MerchantSettings(Base):
    """Per-merchant overrides; a NULL falls back to the server-wide default."""

    __tablename__ = "merchant_settings"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    pin_lockout_attempts: Mapped[int | None] = mapped_column(Integer)
    pin_lockout_minutes: Mapped[int | None] = mapped_column(Integer)
    offline_max_cache_age_minutes: Mapped[int | None] = mapped_column(Integer)
    offline_max_redemptions_per_card: Mapped[int | None] = mapped_column(Integer)
    offline_max_points_per_card: Mapped[int | None] = mapped_column(Integer)
    offline_overspend_policy: Mapped[str | None] = mapped_column(String(16))
    till_history_days: Mapped[int | None] = mapped_column(
        Integer, doc="days a till keeps settled ops and pulled history (NULL: 90)"
    )
    # How long a verified cashier stays signed in on a till (NULL: 0, ask every time).
    staff_session_minutes: Mapped[int | None] = mapped_column(Integer)
    # ISO 4217 code the tills show amounts in (NULL: EUR).
    currency: Mapped[str | None] = mapped_column(String(3))
    # What an erased customer's cards become: close | keep (NULL: close; common/erasure.py).
    erasure_cards: Mapped[str | None] = mapped_column(String(8))
