"""The plain seed the older benchmarks use: one merchant and store, staff PINs, paired
tills, and N cards without history, bulk-loaded with COPY (bench/store_set.py seeds
the realistic store set with ledger history)."""

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench.chaos import drop_database, fresh_database
from common.card_number import make_card_number
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
        return fill(name, url, cards, tills, staff)
    except BaseException:
        drop_database(name)
        raise


def fill(name: str, url: str, cards: int, tills: int, staff: int = 1) -> Seeded:
    """What ``seed`` puts in, into a database migrated by someone else (the server
    image's own migration, bench/server_image.py)."""
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
            staff_pin(merchant.id, store.id, f"Staff {i}", f"{1000 + i}") for i in range(1, staff)
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


def staff_pin(merchant_id: int, store_id: int, name: str, pin: str) -> StaffPin:
    """An active staff PIN row made past the service's uniqueness check (which tries
    every hash: quadratic in staff); the caller keeps the PINs distinct."""
    return staff_pins.new_row(merchant_id, store_id, name, pin)
