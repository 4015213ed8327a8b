"""How far a card's numbers may go: far beyond any shop, well inside the columns.

Per op, an earn gives at most 10^8 cents x 1000 points a unit / 100 = 10^9 points, and
every ledger delta stays below 2^31. A balance is held within ±10^9 (a 32-bit column,
with room for the largest single op on either side); lifetime totals are 64-bit
columns, refused past 2^62 (at 10^9 points an op, 4.6 billion maximal earns away).
An op that would cross a bound is refused (BALANCE_LIMIT) and changes nothing."""

from common.card import CardState

MAX_POINTS_BALANCE = 1_000_000_000
MAX_STAMP_COUNT = 1_000_000
MAX_TOTAL = 2**62

_TOTALS = (
    "total_stamps_earned",
    "stamps_redeemed",
    "total_stamps_voided",
    "total_points_earned",
    "points_redeemed",
    "total_points_voided",
    "total_points_adjusted",
)


def crossed_bound(before: CardState, after: CardState) -> str | None:
    """The name of the bound an op moves a card beyond, if any. A card already past
    one (never, by these rules) may still move back towards it."""
    if abs(after.points_balance) > MAX_POINTS_BALANCE and abs(after.points_balance) > abs(
        before.points_balance
    ):
        return "points_balance"
    if abs(after.stamp_count) > MAX_STAMP_COUNT and abs(after.stamp_count) > abs(
        before.stamp_count
    ):
        return "stamp_count"
    for name in _TOTALS:
        if abs(getattr(after, name)) > MAX_TOTAL:
            return name
    return None
