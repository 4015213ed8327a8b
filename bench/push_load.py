"""Push throughput: 8 simulated tills push batches of ``stamp.add`` / ``points.earn`` over
real HTTP to the real server (uvicorn, 2 workers) on PostgreSQL; figure = reconciled
ops (an outcome came back: applied or rejected, never a duplicate) per second.

Uniform: every op on a random card of N. Hot: every op on one of 10 cards.

``python -m bench.push_load [--cards 100000] [--seconds 20]``; the last line is JSON.
"""

import argparse
import io
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from bench.chaos import drop_database, fresh_database
from bench.server_process import ServerProcess
from common.card_number import make_card_number
from common.pins import hash_pin
from common.qr import encode_qr
from sync_server.auth import accounts
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Merchant, StaffPin
from sync_server.services import pairing, programs, staff_pins

BENCH_NODE = 9_000_000  # a card node neither the server nor any paired till issues from
PROGRAM: dict[str, Any] = {
    "loyalty_type": "hybrid",
    "display_name": "Bench",
    "stamps_target": 10,
    "stamps_reward_description": "Coffee",
    "cooldown_minutes": 0,
    "max_daily_stamps": 1_000_000,
    "points_per_currency_unit": 1,
    "points_rewards": [{"id": "ten", "name": "Ten", "points_required": 10, "is_active": True}],
    "welcome_bonus_points": 0,
    "require_staff_pin": True,
    "is_active": True,
}


@dataclass
class Seeded:
    db_name: str
    url: str
    merchant_id: int
    store_id: int
    owner_id: int
    cards: list[str]
    pin_ids: list[int]
    tills: list[tuple[str, int]]  # (device token, card node)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def seed(cards: int, tills: int, staff: int = 1) -> Seeded:
    """A fresh migrated database: one merchant and store, ``staff`` PINs, ``tills`` paired
    tills (tokens made directly), and ``cards`` cards bulk-loaded with COPY."""
    name, url = fresh_database()
    try:
        engine = make_engine(url)
        factory = make_session_factory(engine)
        now = datetime.now(UTC) - timedelta(hours=1)
        with factory() as session:
            merchant = accounts.create_merchant(session, "Bench Café")
            store = accounts.create_store(session, merchant.id, "Bench", "Europe/Paris")
            owner = accounts.create_user(session, merchant.id, "owner@bench.example", "bench-own")
            programs.create(session, merchant.id, dict(PROGRAM))
            first = staff_pins.create(session, merchant.id, store.id, "Staff 0", "1000", None)
            assert isinstance(first, StaffPin)
            # The rest directly: their PINs are distinct by construction, and the service's
            # uniqueness check tries every hash (quadratic in staff: minutes for 100).
            more = [
                StaffPin(
                    merchant_id=merchant.id,
                    store_id=store.id,
                    name=f"Staff {i}",
                    staff_id=None,
                    pin_hash=hash_pin(f"{1000 + i}"),
                    failed_attempts=0,
                    is_active=True,
                )
                for i in range(1, staff)
            ]
            session.add_all(more)
            session.flush()
            pin_ids = [first.id] + [pin.id for pin in more]
            made = []
            for i in range(tills):
                code = pairing.issue_code(session, store, owner.id, now)
                paired = pairing.redeem_code(session, code.code, f"bench-{i}", now)
                assert paired is not None
                made.append((paired.device_token, paired.card_node))
            session.commit()
            merchant_id, store_id, owner_id = merchant.id, store.id, owner.id
            qr_key = bytes.fromhex(session.get(Merchant, merchant_id).qr_key)  # type: ignore[union-attr]
        engine.dispose()
        numbers = _bulk_cards(url, merchant_id, store_id, qr_key, cards)
    except BaseException:
        drop_database(name)
        raise
    return Seeded(name, url, merchant_id, store_id, owner_id, numbers, pin_ids, made)


def _bulk_cards(url: str, merchant_id: int, store_id: int, key: bytes, n: int) -> list[str]:
    numbers = [make_card_number(BENCH_NODE, i) for i in range(1, n + 1)]
    with psycopg.connect(libpq(url)) as conn:
        txid = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]  # type: ignore[index]
        conn.execute(
            "INSERT INTO customers (merchant_id, email, created_at, change_txid) "
            "SELECT %s, 'bench' || g || '@bench.example', now(), %s "
            "FROM generate_series(1, %s) AS g",
            (merchant_id, txid, n),
        )
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM customers WHERE merchant_id = %s AND email LIKE 'bench%%' "
                "ORDER BY id",
                (merchant_id,),
            )
        ]
        buf = io.StringIO()
        for customer_id, number in zip(ids, numbers, strict=True):
            buf.write(
                f"{merchant_id}\t{customer_id}\t{number}\t{encode_qr(number, key)}\t{store_id}"
                f"\tt\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\tnow\tnow\t{txid}\n"
            )
        columns = (
            "merchant_id, customer_id, card_number, qr_code_data, enrolled_at_store_id, "
            "is_active, stamp_count, total_stamps_earned, stamps_redeemed, "
            "total_stamps_voided, points_balance, total_points_earned, points_redeemed, "
            "total_points_voided, total_points_adjusted, stamps_on_day, created_at, "
            "updated_at, change_txid"
        )
        with conn.cursor().copy(f"COPY cards ({columns}) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        conn.commit()
        conn.execute("ANALYZE")
    return numbers


@dataclass
class Pusher:
    base_url: str
    token: str
    pin_id: int
    cards: list[str]
    seed: int
    batch: int = 100
    reconciled: int = 0
    applied: int = 0
    rejected: int = 0
    errors: int = 0
    seq: int = 0
    latencies: list[float] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)

    def _ops(self, rng: random.Random) -> list[dict[str, Any]]:
        ops = []
        for _ in range(self.batch):
            self.seq += 1
            card = rng.choice(self.cards)
            body: dict[str, Any] = (
                {"type": "stamp.add", "card_number": card}
                if rng.random() < 0.5
                else {
                    "type": "points.earn",
                    "card_number": card,
                    "purchase_amount_cents": rng.randint(100, 6000),
                }
            )
            ops.append(
                {
                    "op_id": str(uuid.uuid4()),
                    "seq": self.seq,
                    "staff_pin_id": self.pin_id,
                    "client_time": datetime.now(UTC).isoformat(),
                    "offline": False,
                    "snapshot_age_s": None,
                    "body": body,
                }
            )
        return ops

    def run(self, start: threading.Barrier, deadline: list[float]) -> None:
        rng = random.Random(self.seed)
        with httpx.Client(
            base_url=self.base_url, timeout=60, headers={"Authorization": f"Bearer {self.token}"}
        ) as client:
            start.wait()
            while time.monotonic() < deadline[0]:
                body = {
                    "sent_at": datetime.now(UTC).isoformat(),
                    "ops": self._ops(rng),
                    "pin_failures": [],
                }
                began = time.monotonic()
                try:
                    response = client.post("/api/v1/sync/push", json=body)
                except httpx.HTTPError:
                    self.errors += 1
                    continue
                if response.status_code != 200:
                    self.errors += 1
                    continue
                self.latencies.append(time.monotonic() - began)
                for result in response.json()["results"]:
                    status = result["status"]
                    if status == "applied":
                        self.applied += 1
                    elif status == "rejected":
                        self.rejected += 1
                        code = str(result.get("code"))
                        self.codes[code] = self.codes.get(code, 0) + 1
                    else:
                        continue
                    self.reconciled += 1


def _summed(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counts:
        for key, value in one.items():
            total[key] = total.get(key, 0) + value
    return total


def push_run(
    server_url: str,
    seeded: Seeded,
    cards: list[str],
    seconds: float,
    batch: int,
    first_seq: int = 0,
) -> dict[str, Any]:
    """Tills push until ``seconds`` have passed; batches in flight then are finished and
    counted, and the clock stops when the last answer is back."""
    pushers = [
        Pusher(server_url, token, seeded.pin_ids[0], cards, seed=i, batch=batch, seq=first_seq)
        for i, (token, _node) in enumerate(seeded.tills)
    ]
    barrier = threading.Barrier(len(pushers) + 1)
    deadline = [float("inf")]
    threads = [threading.Thread(target=p.run, args=(barrier, deadline)) for p in pushers]
    for t in threads:
        t.start()
    started = time.monotonic()
    deadline[0] = started + seconds
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    reconciled = sum(p.reconciled for p in pushers)
    lat = sorted(x for p in pushers for x in p.latencies)
    return {
        "ops_per_s": round(reconciled / elapsed, 1),
        "reconciled": reconciled,
        "applied": sum(p.applied for p in pushers),
        "rejected": sum(p.rejected for p in pushers),
        "http_errors": sum(p.errors for p in pushers),
        "batch_p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else 0.0,
        "reject_codes": _summed([p.codes for p in pushers]),
    }


def run(
    cards: int = 100_000, seconds: float = 20.0, tills: int = 8, batch: int = 100
) -> dict[str, Any]:
    seeded = seed(cards, tills)
    server = ServerProcess(seeded.url, workers=2)
    try:
        server.start()
        uniform = push_run(server.url, seeded, seeded.cards, seconds, batch)
        hot = push_run(server.url, seeded, seeded.cards[:10], seconds, batch, 10**8)
    finally:
        server.stop()
        drop_database(seeded.db_name)
    figures: dict[str, Any] = {
        "push_ops_per_s": uniform["ops_per_s"],
        "push_hot_ops_per_s": hot["ops_per_s"],
        "push_cards": cards,
        "push_seconds": seconds,
        "push_batch": batch,
    }
    for prefix, result in (("push", uniform), ("push_hot", hot)):
        for key in ("applied", "rejected", "http_errors", "batch_p50_ms", "reject_codes"):
            figures[f"{prefix}_{key}"] = result[key]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(run(args.cards, args.seconds, batch=args.batch)))


if __name__ == "__main__":
    main()
