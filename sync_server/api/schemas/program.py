"""Program, settings and stats bodies."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from common.erasure import DEFAULT_CARD_POLICY, CardPolicy
from common.money import CURRENCY_PATTERN
from common.program import LoyaltyType
from common.retention import DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS, MIN_HISTORY_DAYS
from common.staff_session import MAX_SESSION_MINUTES
from common.text import PlainText
from sync_server.api.schemas.common import JsonInt, Patch, Strict


class RewardSchema(Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: PlainText = Field(min_length=1, max_length=200)
    points_required: JsonInt = Field(ge=1, le=10_000_000)
    is_active: StrictBool = True


def duplicate_reward_ids(rewards: list[RewardSchema] | None) -> list[str]:
    """Reward ids given more than once. JSON Schema cannot say "unique by id", so this is
    refused by the route with a stable code (409 REWARD_ID_DUPLICATE), not as a 422."""
    ids = [r.id for r in rewards or []]
    return sorted({i for i in ids if ids.count(i) > 1})


class ProgramFields(Strict):
    loyalty_type: LoyaltyType = LoyaltyType.STAMPS
    display_name: PlainText = Field(default="Loyalty program", min_length=1, max_length=200)
    stamps_target: JsonInt = Field(default=10, ge=1, le=100)
    stamps_reward_description: PlainText = Field(default="Free item", min_length=1, max_length=255)
    cooldown_minutes: JsonInt = Field(default=15, ge=0, le=1440)
    max_daily_stamps: JsonInt = Field(default=5, ge=1, le=100)
    points_per_currency_unit: JsonInt = Field(default=1, ge=0, le=1000)
    points_rewards: list[RewardSchema] = Field(default_factory=list, max_length=100)
    welcome_bonus_points: JsonInt = Field(default=0, ge=0, le=100_000)
    require_staff_pin: StrictBool = True
    is_active: StrictBool = True


class ProgramCreate(ProgramFields):
    pass


class ProgramUpdate(Patch):
    loyalty_type: LoyaltyType | None = None
    display_name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    stamps_target: JsonInt | None = Field(default=None, ge=1, le=100)
    stamps_reward_description: PlainText | None = Field(default=None, min_length=1, max_length=255)
    cooldown_minutes: JsonInt | None = Field(default=None, ge=0, le=1440)
    max_daily_stamps: JsonInt | None = Field(default=None, ge=1, le=100)
    points_per_currency_unit: JsonInt | None = Field(default=None, ge=0, le=1000)
    points_rewards: list[RewardSchema] | None = Field(default=None, max_length=100)
    welcome_bonus_points: JsonInt | None = Field(default=None, ge=0, le=100_000)
    require_staff_pin: StrictBool | None = None
    is_active: StrictBool | None = None
    apple_wallet_enabled: StrictBool | None = Field(
        default=None, description="offer the card as an Apple Wallet pass (docs/wallets.md)"
    )
    google_wallet_enabled: StrictBool | None = Field(
        default=None, description="offer the card as a Google Wallet pass (docs/wallets.md)"
    )


class ProgramResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    merchant_id: int
    loyalty_type: LoyaltyType
    display_name: str
    stamps_target: int
    stamps_reward_description: str
    cooldown_minutes: int
    max_daily_stamps: int
    points_per_currency_unit: int
    points_rewards: list[RewardSchema]
    welcome_bonus_points: int
    require_staff_pin: bool
    is_active: bool
    is_stamps_enabled: bool
    is_points_enabled: bool
    apple_wallet_enabled: bool = False
    google_wallet_enabled: bool = False
    created_at: datetime
    updated_at: datetime


class WalletsResponse(BaseModel):
    apple_wallet_enabled: bool
    google_wallet_enabled: bool
    cards_with_apple_pass: int = Field(description="cards whose Apple pass was handed out")
    cards_with_google_object: int = Field(description="cards with a Google Wallet object")
    registered_devices: int = Field(description="devices registered for Apple pass updates")


class SettingsUpdate(Strict):
    pin_lockout_attempts: JsonInt | None = Field(default=None, ge=1, le=100)
    pin_lockout_minutes: JsonInt | None = Field(default=None, ge=1, le=1440)
    staff_session_minutes: JsonInt | None = Field(
        default=None,
        ge=0,
        le=MAX_SESSION_MINUTES,
        description="minutes a verified cashier stays signed in on a till; 0 = ask every time",
    )
    currency: str | None = Field(
        default=None, pattern=CURRENCY_PATTERN, description="ISO 4217 code, e.g. EUR"
    )
    till_history_days: JsonInt | None = Field(
        default=None,
        ge=MIN_HISTORY_DAYS,
        le=MAX_HISTORY_DAYS,
        description="days a till keeps settled ops and the store's history",
    )
    erasure_cards: CardPolicy | None = Field(
        default=None,
        description="what an erased customer's cards become: close (deactivated) or keep "
        "(an anonymous balance that keeps working)",
    )


class SettingsResponse(BaseModel):
    merchant_id: int
    pin_lockout_attempts: int | None = Field(description="merchant value; null = default")
    pin_lockout_minutes: int | None
    effective_pin_lockout_attempts: int
    effective_pin_lockout_minutes: int
    staff_session_minutes: int | None = None
    effective_staff_session_minutes: int = 0
    currency: str | None = None
    effective_currency: str = "EUR"
    till_history_days: int | None = None
    effective_till_history_days: int = DEFAULT_HISTORY_DAYS
    erasure_cards: CardPolicy | None = None
    effective_erasure_cards: CardPolicy = DEFAULT_CARD_POLICY


class TodayFigures(BaseModel):
    stamps: int
    points_earned: int
    redemptions: int
    enrollments: int
    transactions: int


class ProgramStatsResponse(BaseModel):
    program_id: int
    total_cards: int
    active_cards: int
    total_stamps_earned: int
    total_stamps_redeemed: int
    total_points_earned: int
    total_points_redeemed: int
    total_points_voided: int
    outstanding_points: int
    cards_active_30d: int
    today: TodayFigures = Field(description="since midnight in the calling store's time zone")


class StoreStats(BaseModel):
    store_id: int
    store_name: str
    enrollments: int
    stamps_earned: int
    points_earned: int
    redemptions: int
    transactions: int


class MerchantStatsResponse(BaseModel):
    merchant_id: int
    total_cards: int
    active_cards: int
    total_stamps_earned: int
    total_points_earned: int
    total_points_redeemed: int
    stores: list[StoreStats]
