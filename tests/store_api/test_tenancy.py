"""Nothing of merchant A is visible to or changeable by merchant B: every endpoint that
takes an id answers 404 for A's ids, and A's data is unchanged afterwards."""

import pytest
from sqlalchemy import func, select

from sync_server.models import Card, LedgerEntry, StaffPin
from tests.store_api.conftest import API, PIN


def _snapshot(session_factory):
    with session_factory() as session:
        cards = [
            (c.card_number, c.stamp_count, c.points_balance, c.is_active)
            for c in session.scalars(select(Card).order_by(Card.id))
        ]
        pins = [
            (p.id, p.name, p.is_active, p.failed_attempts, p.deleted_at)
            for p in session.scalars(select(StaffPin).order_by(StaffPin.id))
        ]
        return cards, pins, session.scalar(select(func.count(LedgerEntry.id)))


def _requests(a):
    """(method, path, json or params) for every id-taking call, aimed at A's objects."""
    card, other = a.cards[0], a.cards[1]
    pin_a1 = a.pins[0]
    op = {"staff_pin": PIN}
    return [
        ("GET", f"{API}/cards/{card['id']}", None),
        ("GET", f"{API}/cards/{card['id']}/transactions", None),
        ("POST", f"{API}/cards/{card['id']}/points/adjust", {"points_delta": 5, "reason": "x"}),
        ("POST", f"{API}/cards/{card['id']}/deactivate", op),
        ("POST", f"{API}/cards/{card['id']}/reactivate", op),
        ("PATCH", f"{API}/pins/{pin_a1}", {"name": "Mallory"}),
        ("DELETE", f"{API}/pins/{pin_a1}", None),
        ("POST", f"{API}/pins/{pin_a1}/unlock", None),
        ("POST_PARAMS", f"{API}/cards/lookup", {"card_id": card["id"]}),
        ("POST_PARAMS", f"{API}/cards/lookup", {"card_number": card["card_number"]}),
        ("POST", f"{API}/stamp", {"card_id": card["id"], **op}),
        ("POST", f"{API}/stamp", {"card_number": card["card_number"], **op}),
        ("POST", f"{API}/stamp/redeem", {"card_id": card["id"], **op}),
        ("POST", f"{API}/stamp/void", {"card_id": card["id"], "stamps_to_void": 1, **op}),
        (
            "POST",
            f"{API}/points/earn",
            {"card_number": card["card_number"], "purchase_amount_cents": 100, **op},
        ),
        ("POST", f"{API}/points/redeem", {"card_id": card["id"], "reward_id": "ten", **op}),
        ("POST", f"{API}/points/void", {"card_id": card["id"], "points_to_void": 1, **op}),
        (
            "POST",
            f"{API}/points/void",
            {"card_id": other["id"], "original_transaction_id": a.entry_id, **op},
        ),
        ("POST", f"{API}/cards/enroll", {"customer_id": card["customer_id"]}),
    ]


def _send(client, method, path, body, headers):
    if method == "POST_PARAMS":
        return client.post(path, params=body, headers=headers)
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_merchant_b_gets_404_for_every_id_of_merchant_a(client, session_factory, a, b, who):
    before = _snapshot(session_factory)
    headers = getattr(b, who)

    answers = {
        (m, p, str(sorted((body or {}).items()))): _send(client, m, p, body, headers)
        for m, p, body in _requests(a)
    }

    wrong = {
        k: (r.status_code, r.text)
        for k, r in answers.items()
        if r.status_code != 404 and not (who == "manager" and r.status_code == 403)
    }
    assert wrong == {}
    assert all(
        r.json()["code"]
        in {
            "CARD_NOT_FOUND",
            "STAFF_PIN_NOT_FOUND",
            "CUSTOMER_NOT_FOUND",
            "ORIGINAL_TRANSACTION_NOT_FOUND",
            "FORBIDDEN",
        }
        for r in answers.values()
    )
    assert _snapshot(session_factory) == before


def test_a_void_cannot_name_a_ledger_entry_of_another_card(client, a):
    """Same merchant, other card: the original is 'not found' on this card."""
    response = client.post(
        f"{API}/points/void",
        json={"card_id": a.cards[1]["id"], "original_transaction_id": a.entry_id, "staff_pin": PIN},
        headers=a.manager,
    )
    assert response.status_code == 404
    assert response.json()["code"] == "ORIGINAL_TRANSACTION_NOT_FOUND"


def test_a_pin_of_another_store_of_the_same_merchant_is_not_found(client, a):
    pin_a2 = a.pins[1]
    for method, path, body in [
        ("PATCH", f"{API}/pins/{pin_a2}", {"name": "X"}),
        ("DELETE", f"{API}/pins/{pin_a2}", None),
        ("POST", f"{API}/pins/{pin_a2}/unlock", None),
    ]:
        response = client.request(method, path, json=body, headers=a.manager)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "STAFF_PIN_NOT_FOUND"
    stamp = client.post(
        f"{API}/stamp",
        json={"card_id": a.cards[0]["id"], "staff_pin": PIN, "staff_pin_id": pin_a2},
        headers=a.manager,
    )
    assert stamp.json()["code"] == "STAFF_PIN_NOT_FOUND"


def test_lists_and_stats_of_b_never_include_a(client, a, b):
    cards = client.get(f"{API}/cards", headers=b.owner).json()
    transactions = client.get(f"{API}/transactions", params={"limit": 100}, headers=b.owner).json()
    stats = client.get(f"{API}/stats", headers=b.owner).json()
    merchant = client.get(f"{API}/stats/merchant", headers=b.owner).json()
    pins = client.get(f"{API}/pins", headers=b.owner).json()

    assert {c["id"] for c in cards["cards"]} == {c["id"] for c in b.cards}
    assert {t["card_id"] for t in transactions["transactions"]} <= {c["id"] for c in b.cards}
    assert stats["total_cards"] == 2
    assert [s["store_id"] for s in merchant["stores"]] == b.stores
    assert [p["id"] for p in pins["pins"]] == b.pins
    assert (
        client.get(f"{API}/cards/lookup", params={"q": "a Customer"}, headers=b.owner).status_code
        == 404
    )
    assert (
        client.get(
            f"{API}/cards/lookup", params={"q": a.cards[0]["card_number"]}, headers=b.owner
        ).status_code
        == 404
    )


def test_a_qr_code_of_another_merchant_is_refused(client, session_factory, a, b):
    with session_factory() as session:
        qr = session.scalars(select(Card.qr_code_data).where(Card.id == a.cards[0]["id"])).one()
    response = client.post(f"{API}/cards/lookup", params={"qr_code": qr}, headers=b.owner)
    assert response.status_code == 400
    assert response.json()["code"] == "QR_SIGNATURE_MISMATCH"
