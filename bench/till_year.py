"""A year at a busy till: 600 ops a day against 20,000 cards, each settled by the server
the same day, with the store's ledger pulled back; the till prunes what the merchant's
window (90 days) no longer keeps, as its sync client does after a round. Reports the
database's size and the local op latency at the start and after the year, and the
size the same year leaves without pruning.

Rows are written in bulk in the shape the till writes them (the body and outcome of a
real op confirmed here): a year through ``Till.perform`` would take a quarter of an
hour and measure the same file.

``python -m bench.till_year [--quick]``; the last line is one JSON object.
"""

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.local_ops import PROGRAM, _percentile
from common.card_number import make_card_number
from common.operations import AddStamp
from common.retention import prune_before
from desktop.engine.local_store import LocalStore
from desktop.engine.till import Confirmed, Till

CARDS = 20_000
OPS_PER_DAY = 600
DAYS = 365
HISTORY_DAYS = 90
START = datetime(2026, 1, 1, 9, tzinfo=UTC)
DEADLINE_S = 600.0


def _till(path: Path, cards: int) -> tuple[LocalStore, list[str]]:
    store = LocalStore(path)
    numbers = [make_card_number(1_000_000, i) for i in range(1, cards + 1)]
    store.apply_pull_page(
        {
            "cursor": "c1",
            "reset": False,
            "program": {**PROGRAM, "require_staff_pin": False},
            "settings": {"pin_lockout_attempts": 10**6, "pin_lockout_minutes": 1},
            "changes": {
                "customers": [
                    {"id": i, "email": f"c{i}@example.com", "name": f"Customer {i}"}
                    for i in range(1, cards + 1)
                ],
                "cards": [
                    {"id": i, "card_number": n, "customer_id": i} for i, n in enumerate(numbers, 1)
                ],
            },
        }
    )
    return store, numbers


def _op_p99_ms(store: LocalStore, numbers: list[str], n: int) -> float:
    till, samples = Till(store), []
    for i in range(n):
        start = time.perf_counter()
        done = till.perform(AddStamp(card_number=numbers[(i * 7919) % len(numbers)]), None)
        samples.append((time.perf_counter() - start) * 1000)
        assert isinstance(done, Confirmed), done
    with store.transaction() as conn:  # these were measurement, not the year's work
        conn.execute(text("DELETE FROM outbox WHERE status = 'pending'"))
    return round(_percentile(samples, 0.99), 3)


def _a_day(
    store: LocalStore, day: int, numbers: list[str], ops: int, template: dict[str, Any]
) -> None:
    at = START + timedelta(days=day)
    seq0 = day * ops + 10_000_000
    outbox, ledger = [], []
    for j in range(ops):
        seq, moment = seq0 + j, (at + timedelta(seconds=j * 50)).isoformat()
        number = numbers[(seq * 7919) % len(numbers)]
        body = json.dumps({**template["body"], "card_number": number})
        outbox.append(
            {
                "seq": seq,
                "id": f"00000000-0000-4000-8000-{seq:012d}",
                "n": number,
                "b": body,
                "t": moment,
                "o": template["outcome"],
            }
        )
        ledger.append({"id": seq, "card": (seq % len(numbers)) + 1, "t": moment})
    with store.transaction() as conn:
        conn.execute(
            text(
                "INSERT INTO outbox (seq, op_id, card_number, body, staff_pin_id, client_time, "
                "offline, status, outcome, settled, created_at) "
                "VALUES (:seq, :id, :n, :b, 1, :t, 1, 'applied', :o, 1, :t)"
            ),
            outbox,
        )
        conn.execute(
            text(
                "INSERT INTO transactions (id, card_id, type, stamps_delta, points_delta, "
                "created_at) VALUES (:id, :card, 'STAMP_EARNED', 1, 0, :t)"
            ),
            ledger,
        )


def _template(store: LocalStore, numbers: list[str]) -> dict[str, Any]:
    """The body and outcome of one real op, settled as the server would answer it."""
    done = Till(store).perform(AddStamp(card_number=numbers[0]), None)
    assert isinstance(done, Confirmed)
    outcome = {"status": "applied", "card": {"card_number": numbers[0], "stamp_count": 1}}
    with store.transaction() as conn:
        body = conn.execute(
            text("SELECT body FROM outbox WHERE op_id = :id"), {"id": done.op_id}
        ).scalar_one()
        conn.execute(text("DELETE FROM outbox WHERE op_id = :id"), {"id": done.op_id})
    return {"body": json.loads(body), "outcome": json.dumps(outcome)}


def _size_mb(store: LocalStore, path: Path) -> float:
    """The file and its WAL once a checkpoint has emptied the WAL (retried while the
    till's own checkpointer thread holds the checkpoint lock)."""
    for _ in range(100):
        with store.engine.connect() as conn:
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
        if not busy:
            break
        time.sleep(0.05)
    files = [path, path.with_name(path.name + "-wal")]
    return round(sum(f.stat().st_size for f in files if f.exists()) / 2**20, 1)


def _year(
    path: Path, prune: bool, days: int, ops: int, cards: int, probe: int, history: int
) -> dict[str, float]:
    deadline = time.monotonic() + DEADLINE_S
    store, numbers = _till(path, cards)
    template = _template(store, numbers)
    start_p99 = _op_p99_ms(store, numbers, probe) if prune else 0.0
    start_mb = _size_mb(store, path)
    for day in range(days):
        if time.monotonic() > deadline:
            raise TimeoutError(f"till_year: day {day} of {days} at {DEADLINE_S:.0f} s")
        _a_day(store, day, numbers, ops, template)
        if prune:
            store.prune(prune_before(START + timedelta(days=day + 1), history))
    figures = {"start_mb": start_mb, "end_mb": _size_mb(store, path), "start_p99": start_p99}
    if prune:
        figures["end_p99"] = _op_p99_ms(store, numbers, probe)
    store.close()
    return figures


def run(quick: bool = False) -> dict[str, Any]:
    days, ops, cards, probe, history = (
        (40, 100, 2_000, 100, 14) if quick else (DAYS, OPS_PER_DAY, CARDS, 300, HISTORY_DAYS)
    )
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        pruned = _year(Path(folder) / "pruned.db", True, days, ops, cards, probe, history)
        kept = _year(Path(folder) / "kept.db", False, days, ops, cards, probe, history)
    return {
        "till_year_days": days,
        "till_year_ops_per_day": ops,
        "till_year_cards": cards,
        "till_year_history_days": history,
        "till_db_mb_start": pruned["start_mb"],
        "till_db_mb_after_year": pruned["end_mb"],
        "till_db_mb_after_year_unpruned": kept["end_mb"],
        "till_op_p99_ms_year_start": pruned["start_p99"],
        "till_op_p99_ms_after_year": pruned["end_p99"],
        "bench_till_year_seconds": round(time.monotonic() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick)))


if __name__ == "__main__":
    main()
