"""Under real concurrency (two uvicorn worker processes on PostgreSQL) the database
row locks, not the Python process, keep every rule: exactly as many operations
succeed as the card can afford."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sync_server.actor import Role
from sync_server.auth import accounts, tokens
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Card, LedgerEntry, StaffPin
from sync_server.services import programs, staff_pins
from tests.support.server import running_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

API = "/api/v1/store/loyalty"
CONCURRENT = 20


@dataclass
class Shop:
    headers: dict[str, str]
    pin_id: int
    pin: str = "2468"


def _seed(factory: sessionmaker[Session], **program: Any) -> Shop:
    now = datetime.now(UTC)
    with factory() as session:
        merchant = accounts.create_merchant(session, "Concurrent Café")
        store = accounts.create_store(session, merchant.id, "Main", "Europe/Paris")
        manager = accounts.create_user(
            session, merchant.id, "m@example.com", "pw", Role.STORE_MANAGER, store.id
        )
        fields = {
            "loyalty_type": "hybrid",
            "display_name": "Concurrent",
            "stamps_target": 10,
            "stamps_reward_description": "Coffee",
            "cooldown_minutes": 0,
            "max_daily_stamps": 5,
            "points_per_currency_unit": 1,
            "points_rewards": [
                {"id": "ten", "name": "Ten", "points_required": 10, "is_active": True}
            ],
            "welcome_bonus_points": 70,
            "require_staff_pin": True,
            "is_active": True,
        } | program
        programs.create(session, merchant.id, fields)
        pin = staff_pins.create(session, merchant.id, store.id, "Sam", "2468", None)
        assert isinstance(pin, StaffPin)
        token = tokens.issue(session, manager, store.id, now, timedelta(hours=1))
        session.commit()
        return Shop(headers={"Authorization": f"Bearer {token.token}"}, pin_id=pin.id)


def _enroll(base: str, shop: Shop) -> str:
    response = httpx.post(
        f"{base}{API}/cards/enroll", json={"email": "c@example.com"}, headers=shop.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["card_number"])


def _all_at_once(base: str, path: str, bodies: list[dict[str, Any]], shop: Shop) -> Counter[str]:
    """Fire every request at the same instant; count outcomes by code (or 'ok')."""
    barrier = threading.Barrier(len(bodies))

    def one(body: dict[str, Any]) -> str:
        with httpx.Client(base_url=base, headers=shop.headers, timeout=60) as client:
            barrier.wait()
            response = client.post(f"{API}{path}", json=body)
        if response.status_code in (200, 201):
            return "ok"
        assert response.status_code < 500, response.text
        return str(response.json()["code"])

    with ThreadPoolExecutor(len(bodies)) as pool:
        return Counter(pool.map(one, bodies))


def _ledger_matches_card(factory: sessionmaker[Session], card_number: str) -> Card:
    with factory() as session:
        card = session.scalars(select(Card).where(Card.card_number == card_number)).one()
        stamps, points, lowest = session.execute(
            select(
                func.sum(LedgerEntry.stamps_delta),
                func.sum(LedgerEntry.points_delta),
                func.min(LedgerEntry.points_balance_after),
            ).where(LedgerEntry.card_id == card.id)
        ).one()
        assert (stamps, points) == (card.stamp_count, card.points_balance)
        assert lowest >= 0
        return card


@pytest.fixture
def factory(pg_url: str) -> Any:
    engine = make_engine(pg_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_twenty_redemptions_on_a_card_that_affords_seven(pg_url: str, factory: Any) -> None:
    shop = _seed(factory)
    with running_server(pg_url, workers=2) as base:
        number = _enroll(base, shop)  # welcome bonus: 70 points = 7 rewards of 10
        body = {"card_number": number, "reward_id": "ten", "staff_pin": shop.pin}
        outcomes = _all_at_once(base, "/points/redeem", [body] * CONCURRENT, shop)

    assert outcomes == Counter({"ok": 7, "INSUFFICIENT_POINTS": CONCURRENT - 7})
    card = _ledger_matches_card(factory, number)
    assert card.points_balance == 0
    assert card.points_redeemed == 70


def test_twenty_stamps_at_once_respect_the_daily_limit(pg_url: str, factory: Any) -> None:
    shop = _seed(factory, max_daily_stamps=5)
    with running_server(pg_url, workers=2) as base:
        number = _enroll(base, shop)
        body = {"card_number": number, "staff_pin": shop.pin, "staff_pin_id": shop.pin_id}
        outcomes = _all_at_once(base, "/stamp", [body] * CONCURRENT, shop)

    assert outcomes == Counter({"ok": 5, "DAILY_STAMP_LIMIT": CONCURRENT - 5})
    card = _ledger_matches_card(factory, number)
    assert card.stamp_count == 5
    assert card.stamps_on_day == 5


def test_concurrent_earns_with_one_order_reference_apply_once(pg_url: str, factory: Any) -> None:
    shop = _seed(factory, welcome_bonus_points=0)
    with running_server(pg_url, workers=2) as base:
        number = _enroll(base, shop)
        body = {
            "card_number": number,
            "staff_pin": shop.pin,
            "purchase_amount_cents": 2500,
            "order_reference": "ORDER-42",
        }
        outcomes = _all_at_once(base, "/points/earn", [body] * CONCURRENT, shop)

    assert outcomes == Counter({"ok": 1, "DUPLICATE_ORDER_REFERENCE": CONCURRENT - 1})
    card = _ledger_matches_card(factory, number)
    assert card.points_balance == 25


def test_concurrent_enrollments_of_one_email_open_one_card(pg_url: str, factory: Any) -> None:
    shop = _seed(factory)
    with running_server(pg_url, workers=2) as base:
        body = {"email": "twice@example.com", "customer_name": "Twice"}
        outcomes = _all_at_once(base, "/cards/enroll", [body] * 10, shop)

    assert outcomes == Counter({"ok": 1, "CUSTOMER_ALREADY_ENROLLED": 9})
    with factory() as session:
        assert session.scalar(select(func.count(Card.id))) == 1
