"""Resolving the attention list (issue #14, point 5): a refused op is re-applied as a
stamps/points adjustment linked to it, or dismissed with a reason, exactly once, from
an offline till (``attention.resolve``) or by the owner's API, and the till that raised
it sees it resolved at its next pull (docs/sync-protocol.md, "Resolution")."""

import uuid

from sqlalchemy import select

from common.bounds import MAX_POINTS_BALANCE
from sync_server.ledger_chain import verify
from sync_server.models import Card, LedgerEntry
from sync_server.models.sync import SyncOp
from tests.support.shop import Shop, make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"
ATTENTION = "/api/v1/terminals/attention"


def _card(client, shop: Shop) -> str:
    made = client.post(
        f"{API}/cards/enroll", json={"email": "a@x.example"}, headers=shop.owner_headers
    )
    assert made.status_code == 201, made.text
    return str(made.json()["card_number"])


def _refused_stamp(client, shop: Shop, till: Till) -> tuple[str, str]:
    """(card number, op_id) of a second stamp the daily limit of one refused."""
    number = _card(client, shop)
    pin = shop.pin_ids[till.store_id]
    stamp = {"type": "stamp.add", "card_number": number}
    first, second = till.push(
        [till.op(stamp, staff_pin_id=pin), till.op(stamp, staff_pin_id=pin)]
    ).json()["results"]
    assert (first["status"], second["code"]) == ("applied", "DAILY_STAMP_LIMIT"), second
    return number, str(second["op_id"])


def _resolve(till: Till, shop: Shop, op_id: str, **decision) -> dict:
    body = {"type": "attention.resolve", "op_id": op_id, "reason": "cooldown was wrong"}
    return till.op(
        body | decision, staff_pin_id=shop.pin_ids[till.store_id], offline=True, snapshot_age_s=60
    )


def _items(client, shop: Shop, **params) -> dict[str, dict]:
    listed = client.get(ATTENTION, params=params, headers=shop.owner_headers)
    assert listed.status_code == 200, listed.text
    return {i["op_id"]: i for i in listed.json()["items"]}


def _adjustments(session_factory, refused: str) -> list[LedgerEntry]:
    with session_factory() as session:
        stmt = select(LedgerEntry).where(LedgerEntry.related_op_id == refused)
        return list(session.scalars(stmt).all())


def _stamps(session_factory, number: str) -> int:
    with session_factory() as session:
        return int(session.scalar(select(Card.stamp_count).where(Card.card_number == number)))


def test_a_reapply_from_an_offline_till_reaches_the_server_exactly_once(client, session_factory):
    """Pushed, replayed, then pushed again inside another batch: one linked adjustment.
    Planted bug: the resolving op re-decided on replay (its claim ignored, resolution
    id fresh each time) -> three STAMPS_ADJUSTMENT entries, 4 stamps."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    till = pair(client, shop.owner_headers)
    number, refused = _refused_stamp(client, shop, till)
    resolution = _resolve(till, shop, refused, action="reapply", stamps_delta=1)

    first = till.push([resolution]).json()["results"][0]
    replay = till.push([resolution]).json()["results"][0]
    other = till.op(
        {"type": "stamp.add", "card_number": number}, staff_pin_id=shop.pin_ids[till.store_id]
    )
    batch = till.push([other, resolution]).json()["results"]
    (again,) = [r for r in batch if r["op_id"] == str(resolution["op_id"])]

    assert first["status"] == "applied", first
    assert (replay["status"], again["status"]) == ("duplicate", "duplicate")
    (entry,) = _adjustments(session_factory, refused)
    assert (entry.type, entry.stamps_delta, entry.notes) == (
        "STAMPS_ADJUSTMENT",
        1,
        "cooldown was wrong",
    )
    assert first["transaction_ids"] == [entry.id]
    assert first["detail"] == {"action": "reapply", "transaction_id": entry.id}
    assert _stamps(session_factory, number) == 2
    item = _items(client, shop, include_resolved=True)[refused]
    assert (item["resolution_action"], item["resolved_by"]) == ("reapply", "Sam")
    assert item["resolution_id"] == resolution["op_id"]
    assert item["resolution_transaction_id"] == entry.id
    assert refused not in _items(client, shop)


def test_a_dismissed_item_leaves_the_open_list_and_moves_nothing(client, session_factory):
    """Planted bug: a resolution that did not close the item (acknowledged_at left
    unset) -> the dismissed item stayed on the open list."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    till = pair(client, shop.owner_headers)
    number, refused = _refused_stamp(client, shop, till)
    item_id = _items(client, shop)[refused]["id"]

    answer = client.post(
        f"{ATTENTION}/{item_id}/resolve",
        json={"resolution_id": str(uuid.uuid4()), "action": "dismiss", "reason": "no stamp due"},
        headers=shop.owner_headers,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["resolved_by"] == "owner@shop.example"
    assert refused not in _items(client, shop)
    assert _items(client, shop, include_resolved=True)[refused]["resolution_action"] == "dismiss"
    assert _adjustments(session_factory, refused) == []
    assert _stamps(session_factory, number) == 1


def test_the_owner_resolving_twice_answers_the_same_and_another_resolution_is_refused(
    client, session_factory
):
    """Planted bug: no check of an earlier resolution -> a second re-apply with another
    id wrote a second adjustment (3 stamps)."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    till = pair(client, shop.owner_headers)
    number, refused = _refused_stamp(client, shop, till)
    item_id = _items(client, shop)[refused]["id"]
    body = {
        "resolution_id": str(uuid.uuid4()),
        "action": "reapply",
        "stamps_delta": 1,
        "reason": "our mistake",
    }

    first = client.post(f"{ATTENTION}/{item_id}/resolve", json=body, headers=shop.owner_headers)
    same = client.post(f"{ATTENTION}/{item_id}/resolve", json=body, headers=shop.owner_headers)
    other = client.post(
        f"{ATTENTION}/{item_id}/resolve",
        json=body | {"resolution_id": str(uuid.uuid4())},
        headers=shop.owner_headers,
    )
    by_till = till.push([_resolve(till, shop, refused, action="dismiss")]).json()["results"][0]

    assert (first.status_code, same.status_code) == (200, 200), first.text
    assert same.json() == first.json()
    assert other.status_code == 409
    assert other.json()["code"] == "ATTENTION_ALREADY_RESOLVED"
    assert by_till["code"] == "ATTENTION_ALREADY_RESOLVED"
    assert len(_adjustments(session_factory, refused)) == 1
    assert _stamps(session_factory, number) == 2


def test_a_till_cannot_resolve_another_tills_op(client, session_factory):
    """Planted bug: the item looked up merchant-wide instead of among this till's own
    ops -> till B re-applied till A's refused stamp."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    till_a = pair(client, shop.owner_headers)
    till_b = pair(client, shop.owner_headers)
    number, refused = _refused_stamp(client, shop, till_a)

    result = till_b.push(
        [_resolve(till_b, shop, refused, action="reapply", stamps_delta=1)]
    ).json()["results"][0]

    assert result["code"] == "ATTENTION_ITEM_NOT_FOUND"
    assert result["detail"]["op_id"] == refused  # which item, for the cashier's list
    assert _items(client, shop)[refused]["resolved_at"] is None
    assert _stamps(session_factory, number) == 1


def test_a_till_reapplies_at_most_what_the_refused_op_asked(client, session_factory):
    """A cashier's PIN may grant back the refused stamp, not more; the owner may.
    Planted bug: no cap at a till -> +5 stamps applied from the till."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    till = pair(client, shop.owner_headers)
    number, refused = _refused_stamp(client, shop, till)

    result = till.push([_resolve(till, shop, refused, action="reapply", stamps_delta=5)]).json()[
        "results"
    ][0]

    assert result["code"] == "REAPPLY_EXCEEDS_REFUSED"
    assert _stamps(session_factory, number) == 1


def test_an_adjustment_past_the_balance_bound_is_refused_and_changes_nothing(
    client, session_factory
):
    """Planted bug: the resolution rule without the bounds check -> a balance of
    10^9 + 90 points stored."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop)
    op = till.op(
        {"type": "points.redeem", "card_number": number, "reward_id": "fifty"},
        staff_pin_id=shop.pin_ids[till.store_id],
    )
    assert till.push([op]).json()["results"][0]["code"] == "INSUFFICIENT_POINTS"
    with session_factory.begin() as session:
        card = session.scalars(select(Card).where(Card.card_number == number)).one()
        card.points_balance = MAX_POINTS_BALANCE - 10
    item_id = _items(client, shop)[str(op["op_id"])]["id"]

    answer = client.post(
        f"{ATTENTION}/{item_id}/resolve",
        json={
            "resolution_id": str(uuid.uuid4()),
            "action": "reapply",
            "points_delta": 100,
            "reason": "goodwill",
        },
        headers=shop.owner_headers,
    )

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "BALANCE_LIMIT"
    assert _items(client, shop)[str(op["op_id"])]["resolved_at"] is None
    assert _adjustments(session_factory, str(op["op_id"])) == []


def test_the_till_sees_the_item_resolved_at_its_next_pull_and_the_chain_holds(
    client, session_factory
):
    """The owner's re-apply reaches the till through op_outcomes (acknowledged by the
    resolution); the adjustment's link to the op is in the ledger chain. Planted bug:
    related_op_id left out of the hash -> editing the link went unnoticed."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    till = pair(client, shop.owner_headers)
    _, refused = _refused_stamp(client, shop, till)
    till.pull_all()
    assert till.state["op_outcomes"][refused]["acknowledged_at"] is None
    item_id = _items(client, shop)[refused]["id"]
    client.post(
        f"{ATTENTION}/{item_id}/resolve",
        json={
            "resolution_id": str(uuid.uuid4()),
            "action": "reapply",
            "stamps_delta": 1,
            "reason": "our mistake",
        },
        headers=shop.owner_headers,
    )

    till.pull_all()

    assert till.state["op_outcomes"][refused]["acknowledged_at"] is not None
    with session_factory() as session:
        assert verify(session, shop.merchant_id).intact
    with session_factory.begin() as session:
        (entry,) = session.scalars(
            select(LedgerEntry).where(LedgerEntry.related_op_id == refused)
        ).all()
        entry.related_op_id = str(uuid.uuid4())
    with session_factory() as session:
        assert not verify(session, shop.merchant_id).intact


def test_erasing_the_customer_erases_the_resolutions_reason_too(client, session_factory):
    """A reason may name the customer. Planted bug: the erasure leaving
    sync_ops.resolution_reason (and the resolving op's body) as written."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    till = pair(client, shop.owner_headers)
    number, refused = _refused_stamp(client, shop, till)
    resolution = _resolve(till, shop, refused, action="dismiss")
    resolution["body"]["reason"] = "Ada Lovelace said no stamp was due"
    assert till.push([resolution]).json()["results"][0]["status"] == "applied"
    with session_factory() as session:
        customer_id = session.scalar(select(Card.customer_id).where(Card.card_number == number))

    erased = client.delete(f"/api/v1/customers/{customer_id}", headers=shop.owner_headers)

    assert erased.status_code == 200, erased.text
    with session_factory() as session:
        item = session.scalars(select(SyncOp).where(SyncOp.op_id == refused)).one()
        op = session.scalars(select(SyncOp).where(SyncOp.op_id == resolution["op_id"])).one()
    assert (item.resolution_action, item.resolution_reason) == ("dismiss", None)
    assert op.body["reason"] is None


def test_hostile_resolutions_get_stable_codes_and_change_nothing(client, session_factory):
    """Amounts past the bounds, 2^63, NaN, NUL in the reason, an amount on a dismissal,
    both amounts, another merchant's item. Planted bug: stamps_delta without its Field
    bounds -> 1001 and 2^31 stamps reached the rule (ADJUSTMENT_OUT_OF_BOUNDS, not a
    VALIDATION_ERROR of the request)."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    other = make_shop(session_factory, name="Other")
    till = pair(client, shop.owner_headers)
    number, refused = _refused_stamp(client, shop, till)
    item_id = _items(client, shop)[refused]["id"]
    base = {"resolution_id": str(uuid.uuid4()), "action": "reapply", "reason": "r"}
    bodies = [
        base | {"stamps_delta": 1001},
        base | {"points_delta": 2**63},
        base | {"stamps_delta": 2**31},
        base | {"points_delta": "NaN"},
        base | {"stamps_delta": 1, "reason": "a\u0000b"},
        base | {"stamps_delta": 1, "points_delta": 1},
        base | {"action": "dismiss", "stamps_delta": 1},
        base | {"resolution_id": "not-a-uuid", "stamps_delta": 1},
    ]

    answers = [
        client.post(f"{ATTENTION}/{item_id}/resolve", json=b, headers=shop.owner_headers)
        for b in bodies
    ]
    foreign = client.post(
        f"{ATTENTION}/{item_id}/resolve",
        json=base | {"stamps_delta": 1},
        headers=other.owner_headers,
    )

    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (422, "VALIDATION_ERROR")
    ] * len(bodies)
    assert (foreign.status_code, foreign.json()["code"]) == (404, "NOT_FOUND")
    assert _items(client, shop)[refused]["resolved_at"] is None
    assert _stamps(session_factory, number) == 1


def test_a_resolution_without_a_staff_pin_is_refused_and_kept(client, session_factory):
    """Who resolved is part of the record: without a PIN the server refuses it, stores
    the refusal (on the attention list like any) and resolves nothing. Written against
    a mutant that answered the refusal with no record."""
    shop = make_shop(session_factory, max_daily_stamps=1)
    till = pair(client, shop.owner_headers)
    _, refused = _refused_stamp(client, shop, till)
    body = {"type": "attention.resolve", "op_id": refused, "action": "dismiss", "reason": "x"}
    op = till.op(body)

    result = till.push([op]).json()["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "STAFF_PIN_REQUIRED")
    assert _items(client, shop)[refused]["resolved_at"] is None
    assert str(op["op_id"]) in _items(client, shop)
