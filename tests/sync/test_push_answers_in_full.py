"""What a push records and answers, field by field: why an op confirmed by a
switched-off PIN was refused, which fields made an op malformed, what its claim row
says it was, and which confirmed ops forgive the wrong PINs pushed with them.

Written against the mutants mutmut left alive in sync_server/sync/push_batch.py,
push_records.py and push_pins.py (docs/mutation.md): a refusal's detail dropped, the
claim's op type or card number defaulted to something else, a confirmed op that forgives
nothing, or forgives wrong PINs typed after it."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from sync_server.models import StaffPin
from sync_server.models.sync import SyncOp
from tests.support.shop import make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"


def _card(client, shop) -> str:
    made = client.post(
        f"{API}/cards/enroll", json={"email": "c@x.example"}, headers=shop.owner_headers
    )
    assert made.status_code == 201, made.text
    return str(made.json()["card_number"])


def _stamp(till: Till, number: str, pin: int, **kw: object) -> dict[str, object]:
    return till.op({"type": "stamp.add", "card_number": number}, staff_pin_id=pin, **kw)


def test_an_op_confirmed_by_a_switched_off_pin_says_the_pin_is_inactive(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop)
    pin = shop.pin_ids[till.store_id]
    client.patch(f"{API}/pins/{pin}", json={"is_active": False}, headers=shop.owner_headers)

    result = till.push([_stamp(till, number, pin)]).json()["results"][0]

    assert (result["code"], result["detail"]) == ("STAFF_PIN_INVALID", {"inactive": True})


def test_a_malformed_op_names_the_field_that_is_wrong(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)

    result = till.push([till.op({"type": "stamp.add", "card_number": "1234"})]).json()["results"][0]

    assert result["code"] == "INVALID_OPERATION"
    assert [e.split(":")[0] for e in result["detail"]["errors"]] == ["stamp.add.card_number"]


def test_the_claim_row_records_the_ops_type_and_card_and_nothing_for_what_is_missing(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop)
    stamp = _stamp(till, number, shop.pin_ids[till.store_id])
    untyped = till.op({"note": "no type, no card"})

    till.push([stamp, untyped])

    with session_factory() as session:
        rows = session.execute(select(SyncOp.op_id, SyncOp.op_type, SyncOp.card_number)).all()
    assert {r.op_id: (r.op_type, r.card_number) for r in rows} == {
        stamp["op_id"]: ("stamp.add", number),
        untyped["op_id"]: ("", ""),
    }


def _wrong_pin(pin: int, at) -> dict[str, object]:
    return {"event_id": str(uuid.uuid4()), "staff_pin_id": pin, "occurred_at": at.isoformat()}


def _failed_attempts(session_factory, pin: int) -> int:
    with session_factory() as session:
        return session.get_one(StaffPin, pin).failed_attempts


def test_an_op_confirmed_after_the_wrong_pins_of_its_push_forgives_them(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop)
    pin = shop.pin_ids[till.store_id]
    then = till.now() - timedelta(minutes=5)

    till.push(
        [_stamp(till, number, pin, client_time=then + timedelta(minutes=1))],
        [_wrong_pin(pin, then), _wrong_pin(pin, then)],
    )

    assert _failed_attempts(session_factory, pin) == 0


def test_an_op_confirmed_before_the_wrong_pins_of_its_push_forgives_nothing(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _card(client, shop)
    pin = shop.pin_ids[till.store_id]
    then = till.now() - timedelta(minutes=5)

    till.push(
        [_stamp(till, number, pin, client_time=then)],
        [_wrong_pin(pin, then + timedelta(minutes=m)) for m in (1, 2)],
    )

    assert _failed_attempts(session_factory, pin) == 2
