"""Local operation latency at the till: a confirmed offline stamp / earn (rules + outbox
+ projection, SQLite synchronous=FULL), without and with the staff PIN check, 100 staff
in the store. Also how PIN checking scales when the staff member is chosen first versus
trying every hash in turn. The till's database is encrypted (SQLCipher, as a till runs
it); an unencrypted one is timed beside it, op for op in turn, so both see the same load.

``python -m bench.local_ops [--n 300]``; the last line is one JSON object.
"""

import argparse
import json
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from common.card_number import make_card_number
from common.operations import AddStamp, EarnPoints
from common.pins import hash_pin, verify_pin
from desktop.engine.cache_key import KEY_BYTES, CacheKey
from desktop.engine.local_store import LocalStore
from desktop.engine.staff import check_pin
from desktop.engine.till import Confirmed, Till
from desktop.engine.tokens import MemoryTokens

PROGRAM = {
    "loyalty_type": "hybrid",
    "stamps_target": 10,
    "stamps_reward_description": "Coffee",
    "cooldown_minutes": 0,
    "max_daily_stamps": 10**9,
    "points_per_currency_unit": 1,
    "points_rewards": [],
    "welcome_bonus_points": 0,
    "require_staff_pin": True,
    "is_active": True,
}
STAFF = 100


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _timed(action: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        action()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _store(folder: Path, encrypted: bool) -> tuple[LocalStore, list[str], dict[int, str]]:
    key = CacheKey(secrets.token_bytes(KEY_BYTES), MemoryTokens()) if encrypted else None
    folder.mkdir()
    store = LocalStore(folder / "till.db", key=key)
    cards = [make_card_number(1_000_000, i) for i in range(1, 1001)]
    pins = {i: f"{1000 + i}" for i in range(1, STAFF + 1)}
    page = {
        "cursor": "c1",
        "reset": False,
        "program": PROGRAM,
        "settings": {"pin_lockout_attempts": 10**6, "pin_lockout_minutes": 1},
        "changes": {
            "cards": [
                {"id": i, "card_number": n, "customer_id": i} for i, n in enumerate(cards, 1)
            ],
            "staff_pins": [
                {
                    "id": i,
                    "name": f"Staff {i}",
                    "pin_hash": hash_pin(p),
                    "is_active": True,
                    "failed_attempts": 0,
                    "locked_until": None,
                }
                for i, p in pins.items()
            ],
        },
    }
    store.apply_pull_page(page)
    return store, cards, pins


def _ops(till: Till, cards: list[str]) -> tuple[Callable[[], None], Callable[[], None]]:
    i = 0

    def stamp() -> None:
        nonlocal i
        i += 1
        assert isinstance(till.perform(AddStamp(card_number=cards[i % len(cards)]), 1), Confirmed)

    def earn() -> None:
        nonlocal i
        i += 1
        op = EarnPoints(card_number=cards[i % len(cards)], purchase_amount_cents=1234)
        assert isinstance(till.perform(op, 1), Confirmed)

    return stamp, earn


def _side_by_side(
    sealed: Callable[[], None], plain: Callable[[], None], n: int, cpu: list[float]
) -> tuple[list[float], list[float]]:
    """Each action n times, in turn: a burst of load slows both alike. Adds each
    side's CPU time (ms) to ``cpu``, the figure least swayed by other processes."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(n):
        started = time.process_time()
        a += _timed(sealed, 1)
        middle = time.process_time()
        b += _timed(plain, 1)
        cpu[0] += (middle - started) * 1000
        cpu[1] += (time.process_time() - middle) * 1000
    return a, b


def run(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store, cards, pins = _store(Path(folder) / "sealed", encrypted=True)
        plain_store, _, _ = _store(Path(folder) / "plain", encrypted=False)
        till = Till(store)
        stamp, earn = _ops(till, cards)
        plain_stamp, plain_earn = _ops(Till(plain_store), cards)

        def stamp_with_pin() -> None:
            assert check_pin(store, 50, pins[50], datetime.now(UTC)) == 50
            stamp()

        def try_every_hash() -> None:
            hashes = [(i, hash_pin_cache[i]) for i in pins]
            next(i for i, h in hashes if verify_pin(h, pins[STAFF]))

        hash_pin_cache = {i: hash_pin(p) for i, p in pins.items()}
        cpu = [0.0, 0.0]
        stamps, plain_stamps = _side_by_side(stamp, plain_stamp, n, cpu)
        earns, plain_earns = _side_by_side(earn, plain_earn, n, cpu)
        with_pin = _timed(stamp_with_pin, max(20, n // 10))
        pin_only = _timed(
            lambda: check_pin(store, 50, pins[50], datetime.now(UTC)), max(20, n // 10)
        )
        every_hash = _timed(try_every_hash, 3)
        store.close()
        plain_store.close()
    return {
        "local_stamp_p50_ms": round(_percentile(stamps, 0.5), 3),
        "local_stamp_p99_ms": round(_percentile(stamps, 0.99), 3),
        "local_earn_p50_ms": round(_percentile(earns, 0.5), 3),
        "local_earn_p99_ms": round(_percentile(earns, 0.99), 3),
        "local_op_p99_ms": round(max(_percentile(stamps, 0.99), _percentile(earns, 0.99)), 3),
        "local_op_p50_ms": round(_percentile(stamps + earns, 0.5), 3),
        "local_op_plain_p50_ms": round(_percentile(plain_stamps + plain_earns, 0.5), 3),
        "local_op_cpu_mean_ms": round(cpu[0] / (2 * n), 3),
        "local_op_plain_cpu_mean_ms": round(cpu[1] / (2 * n), 3),
        "local_op_plain_p99_ms": round(
            max(_percentile(plain_stamps, 0.99), _percentile(plain_earns, 0.99)), 3
        ),
        "local_stamp_with_pin_p50_ms": round(_percentile(with_pin, 0.5), 3),
        "local_stamp_with_pin_p99_ms": round(_percentile(with_pin, 0.99), 3),
        "pin_verify_p95_ms": round(_percentile(pin_only, 0.95), 3),
        "pin_try_every_hash_100_staff_ms": round(statistics.median(every_hash), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    print(json.dumps(run(parser.parse_args().n)))


if __name__ == "__main__":
    main()
