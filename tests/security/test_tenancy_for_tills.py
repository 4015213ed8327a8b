"""The tenancy wall holds for device tokens too: a till of merchant B reaches none of
A's cards, PINs, ledger entries or attention items, changes nothing, and its pull
holds nothing of A. (Owners and managers: tests/store_api/test_tenancy.py.)"""

from tests.store_api.test_tenancy import _requests, _send, _snapshot
from tests.support.till import pair

NOT_YOURS = {
    "CARD_NOT_FOUND",
    "STAFF_PIN_NOT_FOUND",
    "CUSTOMER_NOT_FOUND",
    "ORIGINAL_TRANSACTION_NOT_FOUND",
    "FORBIDDEN",
}


def test_a_till_of_merchant_b_gets_nothing_of_merchant_a(client, session_factory, a, b):
    till_b = pair(client, b.owner)
    before = _snapshot(session_factory)

    answers = [
        (path, _send(client, method, path, body, till_b.headers))
        for method, path, body in _requests(a)
    ]

    wrong = [
        (path, r.status_code, r.text)
        for path, r in answers
        if r.status_code not in (403, 404) or r.json()["code"] not in NOT_YOURS
    ]
    assert wrong == []
    assert _snapshot(session_factory) == before


def test_a_pull_by_a_till_of_merchant_b_holds_nothing_of_merchant_a(client, a, b):
    till_b = pair(client, b.owner)

    pulled = till_b.pull_all()
    text = repr(pulled)

    assert b.cards[0]["card_number"] in text  # the pull does carry B's own cards
    for card in a.cards:
        assert card["card_number"] not in text
    assert "a.example" not in text  # A's customers' emails
