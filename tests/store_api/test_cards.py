"""Cards: enrollment, listing, lookups, detail and history."""

from tests.store_api.conftest import API, PIN


def test_enroll_by_email_creates_the_customer_and_gives_the_welcome_bonus(client, a):
    client.put(f"{API}/program", json={"welcome_bonus_points": 25}, headers=a.owner)

    card = client.post(
        f"{API}/cards/enroll",
        json={"email": "New@Example.com", "customer_name": "Nina", "customer_phone": "+33 1"},
        headers=a.manager,
    ).json()
    history = client.get(f"{API}/cards/{card['id']}/transactions", headers=a.manager).json()

    assert card["customer_email"] == "new@example.com"
    assert card["points_balance"] == 25
    assert card["enrolled_at_store_id"] == a.stores[0]
    assert len(card["card_number"]) == 16
    assert [t["transaction_type"] for t in history["transactions"]] == [
        "WELCOME_BONUS",
        "CARD_CREATED",
    ]


def test_enroll_by_customer_id_and_twice_is_refused(client, a):
    again = client.post(
        f"{API}/cards/enroll", json={"customer_id": a.cards[0]["customer_id"]}, headers=a.manager
    )
    by_email = client.post(f"{API}/cards/enroll", json={"email": "c0@a.example"}, headers=a.manager)
    unknown = client.post(f"{API}/cards/enroll", json={"customer_id": 999999}, headers=a.manager)
    both = client.post(
        f"{API}/cards/enroll", json={"customer_id": 1, "email": "x@example.com"}, headers=a.manager
    )

    assert again.status_code == 409
    assert again.json()["code"] == "CUSTOMER_ALREADY_ENROLLED"
    assert by_email.json()["code"] == "CUSTOMER_ALREADY_ENROLLED"
    assert unknown.json()["code"] == "CUSTOMER_NOT_FOUND"
    assert both.status_code == 422


def test_card_list_pages_filters_and_searches(client, session_factory, a):
    other_store = client.post(
        "/api/v1/auth/login",
        json={"email": "owner@a.example", "password": "pw-owner", "store_id": a.stores[1]},
    ).json()
    other = {"Authorization": f"Bearer {other_store['access_token']}"}
    client.post(
        f"{API}/cards/enroll",
        json={"email": "far@a.example", "customer_name": "Far Away"},
        headers=other,
    )
    client.post(f"{API}/cards/{a.cards[1]['id']}/deactivate", json={}, headers=a.owner)

    page = client.get(f"{API}/cards", params={"limit": 2, "skip": 0}, headers=a.manager).json()
    rest = client.get(f"{API}/cards", params={"limit": 2, "skip": 2}, headers=a.manager).json()
    active = client.get(f"{API}/cards", params={"is_active": True}, headers=a.manager).json()
    here = client.get(f"{API}/cards", params={"enrolled_here": True}, headers=other).json()
    found = client.get(f"{API}/cards", params={"search": "far"}, headers=a.manager).json()

    assert (page["total"], len(page["cards"]), len(rest["cards"])) == (3, 2, 1)
    assert active["total"] == 2
    assert [c["customer_name"] for c in here["cards"]] == ["Far Away"]
    assert [c["customer_email"] for c in found["cards"]] == ["far@a.example"]
    assert page["cards"][0]["stamps_until_reward"] == 10


def test_lookup_by_number_email_or_name(client, a):
    card = a.cards[0]
    spaced = " ".join(card["card_number"][i : i + 4] for i in range(0, 16, 4))
    for q in (card["card_number"], spaced, "C0@A.EXAMPLE", "customer 0"):
        response = client.get(f"{API}/cards/lookup", params={"q": q}, headers=a.manager)
        assert response.json()["card_id"] == card["id"], q
    assert (
        client.get(f"{API}/cards/lookup", params={"q": "nobody"}, headers=a.manager).json()["code"]
        == "CARD_NOT_FOUND"
    )


def test_lookup_of_a_deactivated_card_offers_no_stamp(client, a):
    """Planted bug this kills: stamp availability ignoring an inactive card."""
    card_id = a.cards[1]["id"]
    deactivated = client.post(
        f"{API}/cards/{card_id}/deactivate", json={"staff_pin": PIN}, headers=a.owner
    )
    assert deactivated.status_code == 200, deactivated.text

    view = client.post(f"{API}/cards/lookup", params={"card_id": card_id}, headers=a.manager)

    assert view.json()["is_active"] is False
    assert view.json()["can_stamp"] is False


def test_lookup_shows_what_the_cashier_can_do_now(client, a):
    client.put(f"{API}/program", json={"cooldown_minutes": 15}, headers=a.owner)
    client.post(
        f"{API}/stamp", json={"card_id": a.cards[0]["id"], "staff_pin": PIN}, headers=a.manager
    )

    view = client.post(
        f"{API}/cards/lookup", params={"card_id": a.cards[0]["id"]}, headers=a.manager
    ).json()

    assert view["stamp_count"] == 1
    assert view["stamps_until_reward"] == 9
    assert view["can_stamp"] is False
    assert view["cooldown_ends_at"] is not None
    assert view["stamps_today"] == 1
    assert view["can_earn_more_stamps"] is True
    assert view["can_redeem_stamps"] is False
    assert [r["id"] for r in view["available_rewards"]] == ["ten", "fifty"]
    assert view["merchant_name"] == "a"


def test_post_lookup_by_qr_payload_and_its_validation(client, a):
    detail = client.get(f"{API}/cards/{a.cards[0]['id']}", headers=a.manager).json()
    qr = detail["qr_code_data"]
    tampered = qr[:-1] + ("A" if qr[-1] != "A" else "B")

    ok = client.post(f"{API}/cards/lookup", params={"qr_code": qr}, headers=a.manager)
    forged = client.post(f"{API}/cards/lookup", params={"qr_code": tampered}, headers=a.manager)
    garbage = client.post(
        f"{API}/cards/lookup", params={"qr_code": "https://evil.example"}, headers=a.manager
    )
    none = client.post(f"{API}/cards/lookup", headers=a.manager)
    bad_number = client.post(
        f"{API}/cards/lookup", params={"card_number": "1234567812345678"}, headers=a.manager
    )

    assert ok.json()["card_id"] == a.cards[0]["id"]
    assert forged.json()["code"] == "QR_SIGNATURE_MISMATCH"
    assert garbage.json()["code"] == "INVALID_QR_PAYLOAD"
    assert none.status_code == 422
    assert bad_number.json()["code"] == "INVALID_CARD_NUMBER"


def test_card_detail_and_histories(client, a):
    detail = client.get(f"{API}/cards/{a.cards[0]['id']}", headers=a.manager).json()
    card_history = client.get(
        f"{API}/cards/{a.cards[0]['id']}/transactions", headers=a.manager
    ).json()
    merchant_history = client.get(
        f"{API}/transactions", params={"limit": 100}, headers=a.manager
    ).json()
    this_store = client.get(
        f"{API}/transactions", params={"this_store_only": True}, headers=a.manager
    ).json()

    assert detail["program_name"] == "Test Café"
    assert detail["last_points_at"] is not None
    assert detail["qr_code_data"].startswith("LOY1:")
    earn = card_history["transactions"][0]
    assert (earn["transaction_type"], earn["points_delta"], earn["order_reference"]) == (
        "POINTS_EARNED",
        50,
        "O-1",
    )
    assert earn["staff_name"] == "Sam"
    assert merchant_history["total"] == 3
    assert merchant_history["transactions"][0]["customer_name"] == "a Customer 0"
    assert this_store["total"] == 3
