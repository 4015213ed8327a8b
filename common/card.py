"""A card's balances and counters: the state every rule reads and returns anew."""

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class CardState:
    card_number: str
    is_active: bool = True
    stamp_count: int = 0
    total_stamps_earned: int = 0
    stamps_redeemed: int = 0
    total_stamps_voided: int = 0
    points_balance: int = 0
    total_points_earned: int = 0
    points_redeemed: int = 0
    total_points_voided: int = 0
    total_points_adjusted: int = 0
    # Stamps counted on one local day of the store that stamped last; kept on the
    # card so the daily limit is decided under the card's row lock alone.
    stamps_day: date | None = None
    stamps_on_day: int = 0
    last_stamp_at: datetime | None = None
    last_points_at: datetime | None = None
    last_redemption_at: datetime | None = None
    last_activity_at: datetime | None = None

    def stamps_on(self, day: date) -> int:
        return self.stamps_on_day if self.stamps_day == day else 0
