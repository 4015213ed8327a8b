"""Acknowledging the attention list travels as an op (``attention.acknowledge``): pushed
from a till, online or offline, it reaches the server exactly once, names who, writes
no ledger entry, and comes back to the till in the pull (issue #12, bug 7)."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from sync_server.models import LedgerEntry, StaffPin
from tests.support.shop import Shop, make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"
ATTENTION = "/api/v1/terminals/attention"


def _refused_op(client, shop: Shop, till: Till) -> str:
    """A redemption the card cannot cover: rejected, on the attention list."""
    made = client.post(
        f"{API}/cards/enroll", json={"email": "a@x.example"}, headers=shop.owner_headers
    )
    assert made.status_code == 201, made.text
    op = till.op(
        {"type": "points.redeem", "card_number": made.json()["card_number"], "reward_id": "fifty"},
        staff_pin_id=shop.pin_ids[till.store_id],
    )
    result = till.push([op]).json()["results"][0]
    assert result["code"] == "INSUFFICIENT_POINTS"
    return str(op["op_id"])


def _ack(till: Till, op_id: str, pin_id: int | None, **kw) -> dict:
    return till.op(
        {"type": "attention.acknowledge", "op_id": op_id, "note": "told her"},
        staff_pin_id=pin_id,
        **kw,
    )


def _items(client, shop: Shop, include_acknowledged: bool = True) -> dict[str, dict]:
    listed = client.get(
        ATTENTION, params={"include_acknowledged": include_acknowledged}, headers=shop.owner_headers
    )
    assert listed.status_code == 200, listed.text
    return {i["op_id"]: i for i in listed.json()["items"]}


def _ledger(session_factory) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count(LedgerEntry.id))) or 0)


def test_an_acknowledgement_pushed_once_marks_the_item_with_who_and_writes_no_ledger(
    client, session_factory
):
    """Caught: the till's acknowledgement stayed on the till (the server's list kept
    ``acknowledged_at: null``) and no one could tell who had acknowledged."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    refused = _refused_op(client, shop, till)
    entries = _ledger(session_factory)

    result = till.push([_ack(till, refused, shop.pin_ids[till.store_id])]).json()["results"][0]

    assert result["status"] == "applied", result
    assert result["code"] is None
    assert result["transaction_ids"] == []
    assert refused not in _items(client, shop, include_acknowledged=False)
    item = _items(client, shop)[refused]
    assert item["acknowledged_at"] is not None
    assert item["acknowledged_by"] == "Sam"
    assert item["acknowledged_by_pin_id"] == shop.pin_ids[till.store_id]
    assert item["acknowledged_note"] == "told her"
    assert _ledger(session_factory) == entries


def test_a_replayed_acknowledgement_is_a_duplicate_and_changes_nothing(client, session_factory):
    """Caught if the replay re-applied: it must return the stored outcome, keep the
    first time and add nothing."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    refused = _refused_op(client, shop, till)
    ack = _ack(till, refused, shop.pin_ids[till.store_id])
    till.push([ack])
    first = _items(client, shop)[refused]["acknowledged_at"]

    replay = till.push([ack]).json()["results"][0]

    assert replay["status"] == "duplicate"
    assert replay["original_status"] == "applied"
    assert _items(client, shop)[refused]["acknowledged_at"] == first


def test_an_acknowledgement_made_offline_lands_later_dated_when_it_was_made(
    client, session_factory
):
    """An offline till queues it; pushed two hours later it is dated when staff made
    it (the till's clock corrected), not when it arrived."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    refused = _refused_op(client, shop, till)
    made_at = till.now() - timedelta(hours=2)
    ack = _ack(
        till,
        refused,
        shop.pin_ids[till.store_id],
        offline=True,
        snapshot_age_s=60,
        client_time=made_at,
    )

    result = till.push([ack]).json()["results"][0]

    assert result["status"] == "applied", result
    acknowledged = _items(client, shop)[refused]["acknowledged_at"]
    assert abs(datetime.fromisoformat(acknowledged) - made_at) < timedelta(minutes=1)


def test_an_unknown_op_id_is_refused_with_a_stable_code(client, session_factory):
    """Caught if an acknowledgement of nothing passed as done."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    refused = _refused_op(client, shop, till)

    result = till.push(
        [_ack(till, "6f1c1bb4-7f44-4a41-9d6b-3a0f7d8b2a11", shop.pin_ids[till.store_id])]
    ).json()["results"][0]

    assert result["status"] == "rejected"
    assert result["code"] == "ATTENTION_ITEM_NOT_FOUND"
    assert _items(client, shop)[refused]["acknowledged_at"] is None


def test_another_merchants_op_id_is_not_found_and_stays_unacknowledged(client, session_factory):
    """Caught if a till could acknowledge (hide) another merchant's rejected work."""
    mine = make_shop(session_factory, name="Mine")
    theirs = make_shop(session_factory, name="Theirs")
    my_till = pair(client, mine.owner_headers)
    their_till = pair(client, theirs.owner_headers)
    their_refused = _refused_op(client, theirs, their_till)

    result = my_till.push([_ack(my_till, their_refused, mine.pin_ids[my_till.store_id])]).json()[
        "results"
    ][0]

    assert result["code"] == "ATTENTION_ITEM_NOT_FOUND"
    assert _items(client, theirs)[their_refused]["acknowledged_at"] is None


def test_an_item_already_acknowledged_stays_as_first_acknowledged(client, session_factory):
    """The owner acknowledged it first (API); the till's later acknowledgement is
    applied as a no-op (not an error for staff to see) and keeps the owner's mark."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    refused = _refused_op(client, shop, till)
    item_id = _items(client, shop)[refused]["id"]
    by_owner = client.post(f"{ATTENTION}/{item_id}/acknowledge", headers=shop.owner_headers)
    assert by_owner.status_code == 200, by_owner.text
    first = by_owner.json()

    result = till.push([_ack(till, refused, shop.pin_ids[till.store_id])]).json()["results"][0]

    assert result["status"] == "applied"
    assert result["code"] is None
    assert result["detail"]["already_acknowledged"] is True
    now = _items(client, shop)[refused]
    assert now["acknowledged_at"] == first["acknowledged_at"]
    assert now["acknowledged_by"] == first["acknowledged_by"] == "owner@shop.example"


def test_who_may_acknowledge_is_enforced_by_the_server(client, session_factory):
    """Caught if the till's own PIN check were the only one: without a PIN, with a
    PIN of another store or an inactive PIN, the server refuses and the item stays."""
    shop = make_shop(session_factory, stores=2, require_staff_pin=False)
    till = pair(client, shop.owner_headers)
    refused = _refused_op(client, shop, till)
    other_store_pin = shop.pin_ids[shop.store_ids[1]]
    with session_factory() as session:
        inactive = StaffPin(
            merchant_id=shop.merchant_id,
            store_id=till.store_id,
            name="Old",
            pin_hash="x",
            is_active=False,
        )
        session.add(inactive)
        session.commit()
        inactive_id = inactive.id

    results = till.push(
        [
            _ack(till, refused, None),
            _ack(till, refused, other_store_pin),
            _ack(till, refused, inactive_id),
        ]
    ).json()["results"]

    assert [r["code"] for r in results] == [
        "STAFF_PIN_REQUIRED",
        "STAFF_PIN_NOT_FOUND",
        "STAFF_PIN_INVALID",
    ]
    assert _items(client, shop)[refused]["acknowledged_at"] is None


def test_the_acknowledged_state_comes_back_in_the_pull(client, session_factory):
    """The till that raised the item learns of an acknowledgement made anywhere (here
    the owner's API) from the op_outcomes rows of its next pull."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    refused = _refused_op(client, shop, till)
    till.pull_all()
    assert till.state["op_outcomes"][refused]["acknowledged_at"] is None
    item_id = _items(client, shop)[refused]["id"]
    client.post(f"{ATTENTION}/{item_id}/acknowledge", headers=shop.owner_headers)

    till.pull_all()

    assert till.state["op_outcomes"][refused]["acknowledged_at"] is not None
    assert till.state["op_outcomes"][refused]["acknowledged_by"] == "owner@shop.example"


def test_an_acknowledgement_inside_a_batch_leaves_the_in_memory_ops_as_they_were(
    client, session_factory
):
    """Caught if routing the acknowledgement broke the batch: stamps around it, decided
    in memory, still apply once each."""
    shop = make_shop(session_factory, max_daily_stamps=10)
    till = pair(client, shop.owner_headers)
    refused = _refused_op(client, shop, till)
    number = _items(client, shop)[refused]["card_number"]
    pin = shop.pin_ids[till.store_id]
    stamp = {"type": "stamp.add", "card_number": number}

    results = till.push(
        [
            till.op(stamp, staff_pin_id=pin),
            _ack(till, refused, pin),
            till.op(stamp, staff_pin_id=pin),
        ]
    ).json()["results"]

    assert [r["status"] for r in results] == ["applied"] * 3
    assert [r["card"]["stamp_count"] if r["card"] else None for r in results] == [1, None, 2]
    assert _items(client, shop)[refused]["acknowledged_at"] is not None
