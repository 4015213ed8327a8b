"""Push: every op of a batch gets an outcome, each op applies exactly once."""

from sqlalchemy import func, select

from sync_server.models import Card, LedgerEntry
from sync_server.models.sync import SyncOp
from tests.support.shop import make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"


def _enroll_online(client, headers, email="c@example.com") -> str:
    response = client.post(f"{API}/cards/enroll", json={"email": email}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["card_number"]


def _stamp(till: Till, number: str, pin_id: int, **kw):
    return till.op({"type": "stamp.add", "card_number": number}, staff_pin_id=pin_id, **kw)


def _earn(till: Till, number: str, pin_id: int, cents: int, **kw):
    body = {"type": "points.earn", "card_number": number, "purchase_amount_cents": cents}
    return till.op(body, staff_pin_id=pin_id, **kw)


def _ledger_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count(LedgerEntry.id)))


def test_an_op_is_applied_and_a_replay_returns_the_stored_outcome(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    op = _earn(till, number, shop.pin_ids[till.store_id], 1500)

    first = till.push([op]).json()["results"][0]
    entries = _ledger_count(session_factory)
    replay = till.push([op]).json()["results"][0]

    assert first["status"] == "applied"
    assert first["card"]["points_balance"] == 15
    assert replay["status"] == "duplicate"
    assert replay["original_status"] == "applied"
    assert replay["transaction_ids"] == first["transaction_ids"]
    assert _ledger_count(session_factory) == entries


def test_the_same_op_id_with_another_body_is_refused(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    op = _earn(till, number, shop.pin_ids[till.store_id], 1500)
    till.push([op])

    forged = {**op, "body": {**op["body"], "purchase_amount_cents": 99900}}
    result = till.push([forged]).json()["results"][0]

    assert result["status"] == "rejected"
    assert result["code"] == "OP_ID_REUSED"
    with session_factory() as session:
        assert session.scalars(select(Card.points_balance)).one() == 15


def test_a_seq_taken_by_another_op_is_refused(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    first = _earn(till, number, shop.pin_ids[till.store_id], 1000)
    till.push([first])
    other = {**_earn(till, number, shop.pin_ids[till.store_id], 2000), "seq": first["seq"]}

    result = till.push([other]).json()["results"][0]

    assert result["code"] == "SEQ_REUSED"


def test_a_batch_is_applied_in_seq_order_and_gaps_do_not_block(client, session_factory):
    shop = make_shop(session_factory, welcome_bonus_points=0)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    number = till.new_card_number()
    enroll = till.op(
        {"type": "card.enroll", "card_number": number, "customer": {"email": "o@example.com"}}
    )
    till.seq += 5  # a gap
    earn = _earn(till, number, pin, 2000)
    redeem = till.op(
        {"type": "points.redeem", "card_number": number, "reward_id": "ten"}, staff_pin_id=pin
    )

    results = till.push([redeem, earn, enroll]).json()["results"]

    assert [r["seq"] for r in results] == sorted(r["seq"] for r in results)
    assert [r["status"] for r in results] == ["applied", "applied", "applied"]
    assert results[-1]["card"]["points_balance"] == 10


def test_a_rejected_op_is_kept_shown_and_does_not_block_the_ops_behind_it(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    number = _enroll_online(client, shop.owner_headers)
    too_much = till.op(
        {"type": "points.redeem", "card_number": number, "reward_id": "fifty"}, staff_pin_id=pin
    )
    earn = _earn(till, number, pin, 700)

    results = till.push([too_much, earn]).json()["results"]

    assert results[0]["status"] == "rejected"
    assert results[0]["code"] == "INSUFFICIENT_POINTS"
    assert results[1]["status"] == "applied"
    attention = client.get("/api/v1/terminals/attention", headers=shop.owner_headers).json()
    assert [i["op_id"] for i in attention["items"]] == [too_much["op_id"]]
    till.pull_all()
    assert till.state["op_outcomes"][too_much["op_id"]]["code"] == "INSUFFICIENT_POINTS"


def test_a_till_of_merchant_a_cannot_touch_a_card_of_merchant_b(client, session_factory):
    shop_a = make_shop(session_factory, "A")
    shop_b = make_shop(session_factory, "B")
    till_a = pair(client, shop_a.owner_headers)
    card_b = _enroll_online(client, shop_b.owner_headers, "b@example.com")

    result = till_a.push([_earn(till_a, card_b, shop_a.pin_ids[till_a.store_id], 5000)]).json()

    assert result["results"][0]["code"] == "CARD_NOT_FOUND"
    with session_factory() as session:
        assert (
            session.scalars(select(Card.points_balance).where(Card.card_number == card_b)).one()
            == 0
        )


def test_a_pin_of_another_store_does_not_confirm_an_op(client, session_factory):
    shop = make_shop(session_factory, stores=2)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    foreign_pin = shop.pin_ids[shop.store_ids[1]]

    result = till.push([_earn(till, number, foreign_pin, 1000)]).json()["results"][0]

    assert result["code"] == "STAFF_PIN_NOT_FOUND"


def test_batch_and_body_limits_answer_clearly(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    ops = [_stamp(till, number, shop.pin_ids[till.store_id]) for _ in range(501)]

    too_many = till.push(ops)
    too_big = client.post(
        "/api/v1/sync/push", content=b"{" + b" " * 2_000_000 + b"}", headers=till.headers
    )

    assert too_many.status_code == 422
    assert too_many.json()["code"] == "VALIDATION_ERROR"
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "BODY_TOO_LARGE"


def test_every_pushed_op_has_exactly_one_idempotency_row(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    ops = [_earn(till, number, shop.pin_ids[till.store_id], 100 * (i + 1)) for i in range(5)]

    till.push(ops)
    till.push(ops[2:])

    with session_factory() as session:
        assert session.scalar(select(func.count(SyncOp.id))) == 5
        assert session.scalars(select(Card.points_balance)).one() == 15


def test_a_terminal_may_only_issue_card_numbers_of_its_own_node(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    other_node = Till(client, 0, "", till.card_node + 1, till.store_id).new_card_number()

    result = till.push(
        [
            till.op(
                {
                    "type": "card.enroll",
                    "card_number": other_node,
                    "customer": {"email": "x@example.com"},
                }
            )
        ]
    ).json()["results"][0]

    assert result["code"] == "CARD_NUMBER_NOT_YOURS"


def test_ops_on_an_offline_card_merge_into_the_card_enrolled_meanwhile(client, session_factory):
    """Merge rule: the first card enrolled for an email wins; the offline number becomes
    an alias of it, and every op made on the offline number lands on the surviving card."""
    shop = make_shop(session_factory, welcome_bonus_points=5)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    offline_number = till.new_card_number()
    enroll = till.op(
        {
            "type": "card.enroll",
            "card_number": offline_number,
            "customer": {"email": "Same@Example.com"},
        },
        offline=True,
    )
    earn = _earn(till, offline_number, pin, 4200, offline=True)
    online_number = _enroll_online(client, shop.owner_headers, "same@example.com")

    results = till.push([enroll, earn]).json()["results"]

    assert results[0]["status"] == "applied"
    assert results[0]["detail"]["merged_into"] == online_number
    assert results[1]["card"]["card_number"] == online_number
    assert results[1]["card"]["points_balance"] == 5 + 42
    lookup = client.post(
        f"{API}/cards/lookup", params={"card_number": offline_number}, headers=shop.owner_headers
    )
    assert lookup.json()["card_number"] == online_number


def test_a_till_cannot_adjust_points_by_push(client, session_factory):
    """Adjustments are the owner's alone; a till's pushed adjustment is refused and kept."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    body = {"type": "points.adjust", "card_number": number, "points_delta": 5000, "reason": "me"}

    result = till.push([till.op(body, staff_pin_id=shop.pin_ids[till.store_id])]).json()["results"][
        0
    ]

    assert (result["status"], result["code"]) == ("rejected", "OPERATION_NOT_ALLOWED")
    with session_factory() as session:
        assert session.scalars(select(Card.points_balance)).one() == 0


def test_a_malformed_op_is_rejected_alone(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    bad = till.op({"type": "stamp.add", "card_number": "1234"})
    good = _earn(till, number, shop.pin_ids[till.store_id], 300)

    results = till.push([bad, good]).json()["results"]

    assert [r["code"] for r in results] == ["INVALID_OPERATION", None]
    assert results[1]["status"] == "applied"


def test_an_op_confirmed_by_a_pin_the_manager_switched_off_is_rejected_and_kept(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll_online(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    client.patch(f"{API}/pins/{pin}", json={"is_active": False}, headers=shop.owner_headers)

    result = till.push([_earn(till, number, pin, 1000)]).json()["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "STAFF_PIN_INVALID")


def test_an_enrollment_confirmed_at_a_till_records_who_confirmed_it(client, session_factory):
    """Every op records the staff member who confirmed it, a new card's too (it used to
    be dropped: the PIN was neither checked nor kept for an enrollment)."""
    shop = make_shop(session_factory, welcome_bonus_points=5)
    till = pair(client, shop.owner_headers)
    pin = shop.pin_ids[till.store_id]
    number = till.new_card_number()
    body = {"type": "card.enroll", "card_number": number, "customer": {"email": "lea@x.example"}}

    results = till.push([till.op(body, staff_pin_id=pin, offline=True)]).json()["results"]

    assert results[0]["status"] == "applied"
    with session_factory() as session:
        staff = session.scalars(
            select(LedgerEntry.staff_pin_id).join(Card).where(Card.card_number == number)
        ).all()
    assert staff
    assert set(staff) == {pin}


def test_an_enrollment_confirmed_with_a_pin_of_another_store_is_refused(client, session_factory):
    shop = make_shop(session_factory, stores=2)
    till = pair(client, shop.owner_headers)
    elsewhere = next(p for s, p in shop.pin_ids.items() if s != till.store_id)
    body = {
        "type": "card.enroll",
        "card_number": till.new_card_number(),
        "customer": {"email": "lea@x.example"},
    }

    results = till.push([till.op(body, staff_pin_id=elsewhere, offline=True)]).json()["results"]

    assert results[0]["status"] == "rejected"
    assert results[0]["code"] == "STAFF_PIN_NOT_FOUND"
