"""Enrollments made at a till and pushed later: the customer arrives whole, a number
is issued once for good, and an enrollment the server refuses says why and leaves
nothing behind.

Written against the mutants mutmut left alive in sync_server/sync/push_single.py
(docs/mutation.md): the customer's name or phone dropped, a taken number not looked up
or refused without its code, a refused enrollment answered without its record."""

from sqlalchemy import func, select

from common.codes import MESSAGES, Reason
from sync_server.models import Card, Customer
from tests.support.shop import make_shop
from tests.support.till import Till, pair


def _enroll(till: Till, number: str, email: str, **kw: object) -> dict[str, object]:
    body = {"type": "card.enroll", "card_number": number, "customer": {"email": email, **kw}}
    return till.op(body, offline=True)


def test_an_offline_enrollment_keeps_the_customers_name_and_phone(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = till.new_card_number()

    result = till.push(
        [_enroll(till, number, "ada@example.com", name="Ada", phone="+33 1 23 45 67 89")]
    ).json()["results"][0]

    assert result["status"] == "applied"
    with session_factory() as session:
        customer = session.scalars(select(Customer)).one()
        assert (customer.email, customer.name, customer.phone) == (
            "ada@example.com",
            "Ada",
            "+33 1 23 45 67 89",
        )


def test_a_number_already_issued_is_refused_naming_it_and_nothing_changes(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = till.new_card_number()
    till.push([_enroll(till, number, "first@example.com")])

    result = till.push([_enroll(till, number, "second@example.com")]).json()["results"][0]

    assert (result["status"], result["code"], result["message"], result["detail"]) == (
        "rejected",
        "CARD_ALREADY_EXISTS",
        MESSAGES[Reason.CARD_ALREADY_EXISTS],
        {"card_number": number},
    )
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Card)) == 1
        assert session.scalars(select(Customer.email)).all() == ["first@example.com"]


def test_an_enrollment_confirmed_by_a_pin_of_no_staff_is_refused_and_opens_no_card(
    client, session_factory
):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    op = _enroll(till, till.new_card_number(), "ada@example.com")
    op["staff_pin_id"] = shop.pin_ids[till.store_id] + 1000

    result = till.push([op]).json()["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "STAFF_PIN_NOT_FOUND")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Card)) == 0
