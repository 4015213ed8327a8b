"""A batch is applied in one transaction: ops decided in memory and ops that take the
ledger path see each other's effects in seq order, the same op twice applies once, and
batches racing over the same cards in opposite orders neither deadlock nor lose ops."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from sync_server.db import make_engine, make_session_factory
from sync_server.ledger_chain import verify
from sync_server.models import Card, LedgerEntry
from tests.support.server import running_server
from tests.support.shop import make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"


def _enroll_online(client, headers, email: str) -> str:
    response = client.post(f"{API}/cards/enroll", json={"email": email}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["card_number"]


def _stamp(till: Till, number: str, pin: int, **kw):
    return till.op({"type": "stamp.add", "card_number": number}, staff_pin_id=pin, **kw)


def _earn(till: Till, number: str, pin: int, cents: int, ref: str | None = None, **kw):
    body = {"type": "points.earn", "card_number": number, "purchase_amount_cents": cents}
    if ref is not None:
        body["order_reference"] = ref
    return till.op(body, staff_pin_id=pin, **kw)


def test_in_memory_and_ledger_path_ops_of_one_batch_see_each_other(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    number = till.new_card_number()
    ops = [
        till.op(  # ledger path: a new card
            {"type": "card.enroll", "card_number": number, "customer": {"email": "n@x.org"}},
            offline=True,
        ),
        _stamp(till, number, pin, offline=True),  # in memory, on the card made just above
        _earn(till, number, pin, 2500, "A-1", offline=True),
        _earn(till, number, pin, 2500, "A-1", offline=True),  # same order: refused
        till.op(  # ledger path: must find the earn written earlier in this batch
            {"type": "points.void", "card_number": number, "order_reference": "A-1"},
            staff_pin_id=pin,
            offline=True,
        ),
        _stamp(till, number, pin, offline=True),  # in memory, after the void
    ]

    results = till.push(ops).json()["results"]

    assert [r["status"] for r in results] == [
        "applied",
        "applied",
        "applied",
        "rejected",
        "applied",
        "applied",
    ]
    assert results[3]["code"] == "DUPLICATE_ORDER_REFERENCE"
    assert results[2]["card"]["points_balance"] == 25
    assert results[4]["card"]["points_balance"] == 0
    assert results[5]["card"]["stamp_count"] == 2
    with session_factory() as session:
        card = session.scalars(select(Card).where(Card.card_number == number)).one()
        assert (card.stamp_count, card.points_balance) == (2, 0)
        ids = [i for r in results for i in r["transaction_ids"]]
        assert len(ids) == len(set(ids)) == 5  # enroll, stamp, earn, void, stamp
        assert verify(session, shop.merchant_id).intact


def test_the_same_op_twice_in_one_batch_applies_once(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers, "twice@x.org")
    op = _earn(till, number, shop.pin_ids[till.store_id], 1800)

    first, second = till.push([op, op]).json()["results"]

    assert first["status"] == "applied"
    assert second["status"] == "duplicate"
    assert second["original_status"] == "applied"
    assert second["transaction_ids"] == first["transaction_ids"]
    with session_factory() as session:
        card = session.scalars(select(Card).where(Card.card_number == number)).one()
        assert card.points_balance == 18


def test_a_replayed_batch_gets_every_outcome_back_unchanged(client, session_factory):
    shop = make_shop(session_factory, max_daily_stamps=2)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    number = _enroll_online(client, shop.owner_headers, "replay@x.org")
    ops = [_stamp(till, number, pin) for _ in range(3)] + [_earn(till, number, pin, 990)]

    first = till.push(ops).json()["results"]
    again = till.push(ops).json()["results"]

    assert [r["status"] for r in first] == ["applied", "applied", "rejected", "applied"]
    assert [r["status"] for r in again] == ["duplicate"] * 4
    assert [r["original_status"] for r in again] == [r["status"] for r in first]
    assert [r["transaction_ids"] for r in again] == [r["transaction_ids"] for r in first]
    assert [r["code"] for r in again] == [r["code"] for r in first]


@pytest.mark.postgres
def test_batches_over_the_same_cards_in_opposite_orders_all_apply(pg_url):
    """Each batch locks its cards in id order, whatever order its ops name them."""
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    shop = make_shop(factory)
    with running_server(pg_url, workers=2) as base, httpx.Client(base_url=base, timeout=60) as c:
        numbers = [_enroll_online(c, shop.owner_headers, f"c{i}@x.org") for i in range(12)]
        tills = [pair(c, shop.owner_headers, f"Till {i}") for i in range(4)]
        pin = shop.pin_ids[tills[0].store_id]
        lock = threading.Lock()  # Till numbers its ops; the pushes themselves run at once

        def batches(i: int) -> list[int]:
            till = tills[i]
            order = numbers if i % 2 == 0 else numbers[::-1]
            statuses = []
            for _ in range(5):
                with lock:
                    ops = [_earn(till, n, pin, 100) for n in order]
                response = httpx.post(
                    f"{base}/api/v1/sync/push",
                    json={"sent_at": till.now().isoformat(), "ops": ops},
                    headers=till.headers,
                    timeout=60,
                )
                assert response.status_code == 200, response.text
                statuses += [r["status"] == "applied" for r in response.json()["results"]]
            return statuses

        with ThreadPoolExecutor(4) as pool:
            applied = [ok for result in pool.map(batches, range(4)) for ok in result]

    assert all(applied)
    assert len(applied) == 4 * 5 * 12
    with factory() as session:
        balances = session.scalars(select(Card.points_balance).where(Card.card_number.in_(numbers)))
        assert set(balances) == {4 * 5}
        assert session.scalar(select(func.count(LedgerEntry.id))) >= 4 * 5 * 12
        assert verify(session, shop.merchant_id).intact
    engine.dispose()


def test_a_batch_that_fails_between_its_claims_and_its_effects_leaves_no_claim_behind(
    client, session_factory, monkeypatch
):
    """Exactly-once rests on the claims and the effects committing together. Planted
    bug this kills: committing the claims before the effects (a failure after them
    left claims without effects, and the replay answered 'duplicate' for ops never
    applied). The fault is planted between the two: the card lock raises."""
    from sync_server.models.sync import SyncOp
    from sync_server.sync import push_batch

    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    number = _enroll_online(client, shop.owner_headers, "c@example.com")
    ops = [_stamp(till, number, pin), _earn(till, number, pin, 700)]

    def broken(*args, **kwargs):
        raise RuntimeError("planted: the database went away after the claims")

    monkeypatch.setattr(push_batch.bulk, "lock_cards", broken)
    with pytest.raises(RuntimeError):
        till.push(ops)
    monkeypatch.undo()
    with session_factory() as session:
        assert session.scalar(select(func.count(SyncOp.id))) == 0

    replay = till.push(ops).json()["results"]

    assert [r["status"] for r in replay] == ["applied", "applied"]
    assert replay[1]["card"]["points_balance"] == 7
