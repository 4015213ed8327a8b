"""Concurrent pushes take their row locks in one fixed order (docs/sync-protocol.md,
"Lock order"), so they queue and never deadlock, however their ops cross.

Each round, six tills push at once batches that cross each other's (see ``_batch``):
ops on the in-memory path and on the ORM path (a void), PINs used in opposite orders,
offline enrollments merged into another till's card, a wrong PIN on a PIN another till
confirms with. The server retries a deadlock victim, so the tills would get their
answers anyway: the failed lock waits are counted where PostgreSQL reports them, on
the server's engine. Planted bugs this kills (each seen failing): PINs read instead of
locked up front (PIN against PIN), the merged cards not locked up front (a late card
lock), the wrong PINs' rows locked only after the chain head (head against PIN)."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import ExceptionContext

from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.ledger_chain import verify
from sync_server.main import create_app
from sync_server.models import Card, LedgerEntry, StaffPin
from sync_server.services import staff_pins
from tests.support.shop import make_shop
from tests.support.till import Till, pair

pytestmark = pytest.mark.postgres

TILLS = 6
ROUNDS = 8
DEADLINE_S = 60.0
API = "/api/v1/store/loyalty"


def _fast_deadlock_detection(url: str) -> None:
    """A deadlock costs deadlock_timeout (1 s) before PostgreSQL breaks it: keep the
    failing run short. Applies to connections opened afterwards (the app's)."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        name = conn.scalar(text("SELECT current_database()"))
        conn.execute(text(f"ALTER DATABASE \"{name}\" SET deadlock_timeout = '50ms'"))
    engine.dispose()


Batch = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def _batch(
    till: Till, cards: list[str], emails: list[str], pins: list[int], i: int, r: int
) -> Batch:
    """Tills work in pairs, each till on its own card. Tills 0 and 1 use two PINs in
    opposite orders; 2 and 3 each enroll offline a customer whose card the other one
    works on (a merge); 4 and 5 share only a PIN, confirmed at 5, typed wrong at 4."""
    first, second = [(0, 1), (1, 0), (0, 1), (1, 0), (2, 2), (3, 3)][i]
    first, second = pins[first], pins[second]
    own, ref = cards[i], f"R{r}-T{i}"
    email = emails[i ^ 1] if i in (2, 3) else f"new-{r}-{i}@x.org"
    ops = [
        till.op({"type": "stamp.add", "card_number": own}, staff_pin_id=first),
        till.op(
            {
                "type": "points.earn",
                "card_number": own,
                "purchase_amount_cents": 500,
                "order_reference": ref,
            },
            staff_pin_id=first,
        ),
        till.op(  # the ORM path: the ops before it are flushed, its PIN written now
            {"type": "points.void", "card_number": own, "order_reference": ref},
            staff_pin_id=second,
        ),
        till.op(
            {
                "type": "card.enroll",
                "card_number": till.new_card_number(),
                "customer": {"email": email},
            },
            offline=True,
        ),
        till.op({"type": "stamp.add", "card_number": own}, staff_pin_id=second),
    ]
    if i != 4:
        return ops, []
    wrong = {
        "event_id": str(uuid.uuid4()),
        "staff_pin_id": pins[3],
        "occurred_at": ops[0]["client_time"],
    }
    return ops, [wrong]


def test_concurrent_crossing_pushes_never_deadlock(pg_url: str) -> None:
    _fast_deadlock_detection(pg_url)
    app = create_app(Settings(database_url=pg_url))
    lock_failures: list[str] = []

    @event.listens_for(app.state.engine, "handle_error")
    def _count(ctx: ExceptionContext) -> None:
        code = getattr(ctx.original_exception, "sqlstate", None)
        if code in ("40P01", "55P03"):  # deadlock detected; NOWAIT on a busy late card
            lock_failures.append(f"{code} at {str(ctx.statement)[:120]}")

    factory = make_session_factory(app.state.engine)
    shop = make_shop(factory, max_daily_stamps=100)
    store_id = shop.store_ids[0]
    pins = [shop.pin_ids[store_id]]
    with factory() as session:
        for name, code in (("Kim", "1357"), ("Lee", "9753"), ("Max", "8642")):
            made = staff_pins.create(session, shop.merchant_id, store_id, name, code, None)
            assert isinstance(made, StaffPin)
            pins.append(made.id)
        session.commit()
    answers: list[tuple[int, list[str]]] = []
    with TestClient(app) as client:
        emails = [f"c{k}@x.org" for k in range(TILLS)]
        cards = []
        for email in emails:
            made = client.post(
                f"{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers
            )
            assert made.status_code == 201, made.text
            cards.append(made.json()["card_number"])
        tills = [pair(client, shop.owner_headers, f"Till {i}") for i in range(TILLS)]
        started = time.monotonic()
        with ThreadPoolExecutor(TILLS) as pool:
            for r in range(ROUNDS):
                batches = [_batch(t, cards, emails, pins, i, r) for i, t in enumerate(tills)]
                gate = threading.Barrier(TILLS)

                def push(
                    i: int, gate: threading.Barrier = gate, batches: list[Batch] = batches
                ) -> tuple[int, list[str]]:
                    gate.wait()
                    response = tills[i].push(*batches[i])
                    if response.status_code != 200:
                        return response.status_code, [response.text[:200]]
                    return 200, [o["status"] for o in response.json()["results"]]

                answers += pool.map(push, range(TILLS))
                elapsed = time.monotonic() - started
                assert elapsed < DEADLINE_S, (
                    f"{r + 1} of {ROUNDS} rounds in {elapsed:.0f} s; failed lock waits so "
                    f"far: {lock_failures}"
                )
    app.state.engine.dispose()

    assert answers == [(200, ["applied"] * 5)] * (TILLS * ROUNDS)
    assert lock_failures == [], f"{len(lock_failures)} failed lock waits: {lock_failures[:3]}"
    engine = make_engine(pg_url)
    with make_session_factory(engine)() as session:
        assert verify(session, shop.merchant_id).intact
        sums = {
            card_id: (int(stamps), int(points))
            for card_id, stamps, points in session.execute(
                select(
                    LedgerEntry.card_id,
                    func.sum(LedgerEntry.stamps_delta),
                    func.sum(LedgerEntry.points_delta),
                ).group_by(LedgerEntry.card_id)
            )
        }
        for card in session.scalars(select(Card)).unique():
            held = (card.stamp_count, card.points_balance)
            assert held == sums.get(card.id, (0, 0)), card.card_number
        stamps = session.scalar(select(func.count()).where(LedgerEntry.type == "STAMP_EARNED"))
        assert stamps == 2 * TILLS * ROUNDS
    engine.dispose()
