"""A till process for crash tests: it records ops and applies pull pages in a loop and
prints each op id once the op is confirmed, until it is killed."""

import sys
from pathlib import Path

from common.card_number import make_card_number
from common.operations import AddStamp
from desktop.engine.local_store import LocalStore
from desktop.engine.till import Confirmed, Till

PROGRAM = {
    "loyalty_type": "hybrid",
    "stamps_target": 10,
    "stamps_reward_description": "Coffee",
    "cooldown_minutes": 0,
    "max_daily_stamps": 1_000_000,
    "points_per_currency_unit": 1,
    "points_rewards": [],
    "welcome_bonus_points": 0,
    "require_staff_pin": False,
    "is_active": True,
}
CARDS = [make_card_number(1_000_000, i) for i in range(1, 201)]


def page(n: int) -> dict[str, object]:
    """Pull page n: every card carries n, so a page half-applied would show."""
    cards = [
        {"id": i, "card_number": number, "customer_id": i, "points_balance": n, "stamp_count": 0}
        for i, number in enumerate(CARDS, start=1)
    ]
    return {"cursor": f"c{n}", "reset": False, "program": PROGRAM, "changes": {"cards": cards}}


def main(path: str) -> None:
    store = LocalStore(Path(path))
    till = Till(store)
    n = int((store.get_meta("cursor") or "c0")[1:])
    while True:
        n += 1
        store.apply_pull_page(page(n))
        for i in range(5):
            done = till.perform(AddStamp(card_number=CARDS[(n + i) % len(CARDS)]), None)
            if isinstance(done, Confirmed):
                print(done.op_id, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
