"""Small builders for rule tests: a context at a given moment, a card, an original entry."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from common.card import CardState
from common.card_number import make_card_number
from common.program import LoyaltyType, ProgramRules, Reward, StoreClock
from common.rules import RuleContext

NUMBER = make_card_number(1_000_000, 42)
NOON = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

PROGRAM = ProgramRules(
    loyalty_type=LoyaltyType.HYBRID,
    stamps_target=10,
    stamps_reward_description="Free coffee",
    cooldown_minutes=15,
    max_daily_stamps=3,
    points_per_currency_unit=1,
    points_rewards=(
        Reward("coffee", "Coffee", 50),
        Reward("cake", "Cake", 120),
        Reward("mug", "Mug", 10, is_active=False),
    ),
    welcome_bonus_points=10,
)


def ctx(now: datetime = NOON, timezone: str = "UTC", **program: Any) -> RuleContext:
    return RuleContext(program=replace(PROGRAM, **program), clock=StoreClock(timezone), now=now)


def card(**fields: Any) -> CardState:
    return CardState(card_number=NUMBER, **fields)
