"""The realistic store set the server-side benchmarks run on: one merchant with 5
stores, N cards (each with its customer and creation entry) and about ten ledger
entries per card spread over the stores, hash-chained; the first store has the staff
and the paired tills. Loaded with COPY, not through the API (bench/ledger_history.py
makes the rows with the common/ rules).

``python -m bench.store_set [--cards 100000] [--entries 1000000]`` seeds one, checks its
chain, prints the figures and drops it.
"""

import argparse
import atexit
import io
import json
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench import ledger_history
from bench.chaos import PG_ADMIN, drop_database, fresh_database
from bench.seeding import BENCH_NODE, PROGRAM, Seeded, libpq, staff_pin
from common.card import CardState
from common.card_number import make_card_number
from common.qr import encode_qr
from sync_server.auth import accounts
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Merchant, StaffPin
from sync_server.repositories import programs as program_repo
from sync_server.services import pairing, programs
from sync_server.services.programs import rules_of

STORES = 5
STAFF = 100  # PINs at the first store
OTHER_STAFF = 5  # PINs at each store but the first
TILLS = 8  # paired to the first store
STORE_PROGRAM: dict[str, Any] = {
    **PROGRAM,
    "display_name": "Bench stores",
    "points_rewards": [
        {"id": "ten", "name": "Ten", "points_required": 10, "is_active": True},
        {"id": "fifty", "name": "Fifty", "points_required": 50, "is_active": True},
    ],
}
_CARD_COLUMNS = (
    "id, merchant_id, customer_id, card_number, qr_code_data, enrolled_at_store_id, "
    "is_active, stamp_count, total_stamps_earned, stamps_redeemed, total_stamps_voided, "
    "points_balance, total_points_earned, points_redeemed, total_points_voided, "
    "total_points_adjusted, stamps_day, stamps_on_day, last_stamp_at, last_points_at, "
    "last_redemption_at, last_activity_at, created_at, updated_at, change_txid"
)
_STATE = (
    "is_active",
    "stamp_count",
    "total_stamps_earned",
    "stamps_redeemed",
    "total_stamps_voided",
    "points_balance",
    "total_points_earned",
    "points_redeemed",
    "total_points_voided",
    "total_points_adjusted",
    "stamps_day",
    "stamps_on_day",
    "last_stamp_at",
    "last_points_at",
    "last_redemption_at",
    "last_activity_at",
)


@dataclass
class StoreSet:
    """A seeded set; ``seeded`` names the first store (its staff, its tills)."""

    seeded: Seeded
    stores: list[int]
    entries: int
    store_entries: int  # entries written at the first store: what its first pull carries
    seconds: float
    stamp_rewards_due: list[str]  # cards holding a full stamp card
    points_rewards_due: list[str]  # cards holding 50 points or more
    inactive: set[str]  # cards whose history ends with a deactivation
    copy_seconds: float = 0.0  # making this private copy of the seeded set
    reused: bool = False  # seeded earlier in this process (seconds: that seeding)

    def figures(self, prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}_seed_cards": len(self.seeded.cards),
            f"{prefix}_seed_entries": self.entries,
            f"{prefix}_seed_store_entries": self.store_entries,
            f"{prefix}_seed_stores": len(self.stores),
            f"{prefix}_seed_staff": len(self.seeded.pin_ids),
            f"{prefix}_seed_s": round(self.seconds, 1),
            f"{prefix}_seed_reused": self.reused,
            f"{prefix}_seed_copy_s": round(self.copy_seconds, 1),
        }


_templates: dict[tuple[int, int, int, int], StoreSet] = {}


def private_copy(cards: int, entries: int, staff: int = STAFF, tills: int = TILLS) -> StoreSet:
    """A database of its own holding the set, for one benchmark to change at will. The
    set is seeded once per process and kept as a template; each copy is a file copy of
    it (CREATE DATABASE … TEMPLATE), seconds instead of minutes."""
    key = (cards, entries, staff, tills)
    template = _templates.get(key)
    reused = template is not None
    if template is None:
        template = _templates[key] = seed(cards, entries, staff, tills)
    started = time.monotonic()
    name = f"loyalty_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{template.seeded.db_name}" STRATEGY FILE_COPY'
        )
    url = template.seeded.url.rsplit("/", 1)[0] + f"/{name}"
    return replace(
        template,
        seeded=replace(template.seeded, db_name=name, url=url),
        copy_seconds=time.monotonic() - started,
        reused=reused,
    )


@atexit.register
def drop_templates() -> None:
    while _templates:
        _key, template = _templates.popitem()
        drop_database(template.seeded.db_name)


def seed(cards: int, entries: int, staff: int, tills: int) -> StoreSet:
    """A fresh migrated database holding the set; dropped again if seeding fails."""
    started = time.monotonic()
    name, url = fresh_database()
    try:
        merchant_id, stores, pins, owner_id, made, key = _accounts(url, staff, tills)
        numbers = {i: make_card_number(BENCH_NODE, i) for i in range(1, cards + 1)}
        shape = ledger_history.Shape(
            merchant_id=merchant_id,
            cards=cards,
            entries=entries,
            staff=pins,
            until=datetime.now(UTC),
        )
        history = _load(url, shape, numbers, key)
    except BaseException:
        drop_database(name)
        raise
    first = stores[0]
    seeded = Seeded(
        name, url, merchant_id, first, owner_id, list(numbers.values()), pins[first], made
    )
    states = history.cards.values()
    return StoreSet(
        seeded=seeded,
        stores=stores,
        entries=history.entries,
        store_entries=history.per_store.get(first, 0),
        seconds=time.monotonic() - started,
        stamp_rewards_due=[c.card_number for c in states if c.is_active and c.stamp_count >= 10],
        points_rewards_due=[
            c.card_number for c in states if c.is_active and c.points_balance >= 50
        ],
        inactive={c.card_number for c in states if not c.is_active},
    )


def _accounts(
    url: str, staff: int, tills: int
) -> tuple[int, list[int], dict[int, list[int]], int, list[tuple[str, int]], bytes]:
    """Merchant, stores, program, PINs (made directly: distinct by construction) and
    tills paired to the first store."""
    engine = make_engine(url)
    now = datetime.now(UTC) - timedelta(hours=1)
    try:
        with make_session_factory(engine)() as session:
            merchant = accounts.create_merchant(session, "Bench Stores")
            stores = [
                accounts.create_store(session, merchant.id, f"Store {i}", "Europe/Paris")
                for i in range(1, STORES + 1)
            ]
            owner = accounts.create_user(session, merchant.id, "owner@stores.example", "bench-own")
            programs.create(session, merchant.id, dict(STORE_PROGRAM))
            pins: dict[int, list[StaffPin]] = {}
            serial = 1000
            for index, store in enumerate(stores):
                pins[store.id] = []
                for i in range(staff if index == 0 else OTHER_STAFF):
                    serial += 1
                    pins[store.id].append(
                        staff_pin(merchant.id, store.id, f"Staff {i}", f"{serial}")
                    )
                session.add_all(pins[store.id])
            session.flush()
            made = []
            for i in range(tills):
                code = pairing.issue_code(session, stores[0], owner.id, now)
                paired = pairing.redeem_code(session, code.code, f"bench-{i}", now)
                assert paired is not None
                made.append((paired.device_token, paired.card_node))
            session.commit()
            key = bytes.fromhex(session.get_one(Merchant, merchant.id).qr_key)
            pin_ids = {store: [p.id for p in made_pins] for store, made_pins in pins.items()}
            return merchant.id, [s.id for s in stores], pin_ids, owner.id, made, key
    finally:
        engine.dispose()


def _load(
    url: str, shape: ledger_history.Shape, numbers: dict[int, str], key: bytes
) -> ledger_history.History:
    """Customers, cards and ledger in one transaction (one change stamp), foreign-key
    triggers off for the COPY (the rows are consistent by construction)."""
    program = _rules(url, shape.merchant_id)
    with psycopg.connect(libpq(url)) as conn, tempfile.TemporaryFile("w+") as ledger:
        txid = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]  # type: ignore[index]
        history = ledger_history.write(shape, program, numbers, ledger, txid)
        conn.execute("SET LOCAL session_replication_role = replica")
        _copy(
            conn,
            "customers (id, merchant_id, email, created_at, change_txid)",
            _customers(shape.merchant_id, history, numbers, txid),
        )
        cards = _cards(shape.merchant_id, history, numbers, key, txid)
        _copy(conn, f"cards ({_CARD_COLUMNS})", cards)
        ledger.seek(0)
        with conn.cursor().copy(
            f"COPY ledger_entries ({', '.join(ledger_history.LEDGER_COLUMNS)}) FROM STDIN"
        ) as copy:
            while chunk := ledger.read(1 << 20):
                copy.write(chunk)
        conn.execute(
            "INSERT INTO ledger_chain_heads (merchant_id, last_seq, last_hash) VALUES (%s, %s, %s)",
            (shape.merchant_id, history.entries, history.head),
        )
        for table in ("customers", "cards", "ledger_entries"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return history


def _rules(url: str, merchant_id: int) -> Any:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            program = program_repo.for_merchant(session, merchant_id)
            assert program is not None
            return rules_of(program)
    finally:
        engine.dispose()


def _copy(conn: psycopg.Connection[Any], target: str, text: str) -> None:
    with conn.cursor().copy(f"COPY {target} FROM STDIN") as copy:
        copy.write(text)


def _customers(
    merchant_id: int, history: ledger_history.History, numbers: dict[int, str], txid: int
) -> str:
    buf = io.StringIO()
    for card_id in numbers:
        when = history.enrolled_at[card_id].isoformat()
        buf.write(
            f"{card_id}\t{merchant_id}\tcustomer{numbers[card_id]}@store.example\t{when}\t{txid}\n"
        )
    return buf.getvalue()


def _cards(
    merchant_id: int,
    history: ledger_history.History,
    numbers: dict[int, str],
    key: bytes,
    txid: int,
) -> str:
    buf = io.StringIO()
    text = ledger_history.copy_text
    for card_id, number in numbers.items():
        state: CardState = history.cards[card_id]
        enrolled = history.enrolled_at[card_id]
        values = [
            card_id,
            merchant_id,
            card_id,
            number,
            encode_qr(number, key),
            history.home[card_id],
            *(getattr(state, f) for f in _STATE),
            enrolled,
            state.last_activity_at or enrolled,
            txid,
        ]
        buf.write("\t".join(text(v) for v in values) + "\n")
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    made = seed(args.cards, args.entries, staff=100, tills=1)
    try:
        engine = make_engine(made.seeded.url)
        with make_session_factory(engine)() as session:
            from sync_server.ledger_chain import verify

            started = time.monotonic()
            report = verify(session, made.seeded.merchant_id)
            verify_s = time.monotonic() - started
        engine.dispose()
    finally:
        drop_database(made.seeded.db_name)
    print(json.dumps({**made.figures("set"), "chain_intact": report.intact, "verify_s": verify_s}))


if __name__ == "__main__":
    main()
