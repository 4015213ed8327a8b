"""The merchant's loyalty program and settings, as the rules see them."""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo


class LoyaltyType(StrEnum):
    STAMPS = "stamps"
    POINTS = "points"
    HYBRID = "hybrid"


@dataclass(frozen=True, slots=True)
class Reward:
    id: str
    name: str
    points_required: int
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class ProgramRules:
    loyalty_type: LoyaltyType = LoyaltyType.STAMPS
    stamps_target: int = 10
    stamps_reward_description: str = "Free item"
    cooldown_minutes: int = 15
    max_daily_stamps: int = 5
    points_per_currency_unit: int = 1
    points_rewards: tuple[Reward, ...] = field(default_factory=tuple)
    welcome_bonus_points: int = 0
    require_staff_pin: bool = True
    is_active: bool = True

    @property
    def is_stamps_enabled(self) -> bool:
        return self.loyalty_type in (LoyaltyType.STAMPS, LoyaltyType.HYBRID)

    @property
    def is_points_enabled(self) -> bool:
        return self.loyalty_type in (LoyaltyType.POINTS, LoyaltyType.HYBRID)

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.points_rewards if r.id == reward_id), None)

    def available_rewards(self, points_balance: int) -> tuple[Reward, ...]:
        return tuple(
            r for r in self.points_rewards if r.is_active and r.points_required <= points_balance
        )

    def points_for(self, purchase_amount_cents: int) -> int:
        """Whole points only, rounded down: 12.99 at 1 point/unit earns 12."""
        return purchase_amount_cents * self.points_per_currency_unit // 100


@dataclass(frozen=True, slots=True)
class StoreClock:
    """The operating store's time zone: daily limits count in local days."""

    timezone: str = "UTC"

    def local_day(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()
