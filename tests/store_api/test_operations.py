"""Stamps, points, voids and card status through the store API."""

from tests.store_api.conftest import API, PIN


def _op(client, a, path, card=0, **body):
    return client.post(
        f"{API}/{path}",
        json={"card_id": a.cards[card]["id"], "staff_pin": PIN, **body},
        headers=a.manager,
    )


def test_stamps_up_to_the_reward_and_redeem(client, a):
    client.put(f"{API}/program", json={"max_daily_stamps": 20, "stamps_target": 3}, headers=a.owner)
    stamps = [_op(client, a, "stamp").json() for _ in range(3)]
    redeemed = _op(client, a, "stamp/redeem")
    empty = _op(client, a, "stamp/redeem")

    assert [s["stamp_count"] for s in stamps] == [1, 2, 3]
    assert stamps[-1]["reward_earned"] is True
    assert stamps[0]["stamps_remaining_today"] == 19
    assert redeemed.json()["stamp_count"] == 0
    assert redeemed.json()["reward_description"] == "Coffee"
    assert redeemed.json()["total_redemptions"] == 1
    assert empty.json()["code"] == "INSUFFICIENT_STAMPS"


def test_cooldown_and_daily_limit(client, a):
    client.put(f"{API}/program", json={"cooldown_minutes": 30}, headers=a.owner)
    first = _op(client, a, "stamp")
    second = _op(client, a, "stamp")
    client.put(
        f"{API}/program", json={"cooldown_minutes": 0, "max_daily_stamps": 2}, headers=a.owner
    )
    third = _op(client, a, "stamp")
    fourth = _op(client, a, "stamp")

    assert first.json()["next_stamp_available_at"] is not None
    assert second.status_code == 409
    assert second.json()["code"] == "COOLDOWN_ACTIVE"
    assert third.status_code == 200
    assert fourth.json()["code"] == "DAILY_STAMP_LIMIT"


def test_void_stamps_by_count_and_by_original(client, a):
    stamp = _op(client, a, "stamp").json()
    by_original = _op(client, a, "stamp/void", original_transaction_id=stamp["transaction_id"])
    again = _op(client, a, "stamp/void", original_transaction_id=stamp["transaction_id"])
    too_many = _op(client, a, "stamp/void", stamps_to_void=1)
    both = _op(client, a, "stamp/void", stamps_to_void=1, original_transaction_id=1)

    assert by_original.json()["stamps_voided"] == 1
    assert by_original.json()["stamp_count"] == 0
    assert again.json()["code"] == "ALREADY_VOIDED"
    assert too_many.json()["code"] == "VOID_EXCEEDS_EARNED"
    assert both.status_code == 422


def test_earn_points_once_per_order_reference(client, a):
    first = _op(client, a, "points/earn", card=1, purchase_amount_cents=1299, order_reference="R-9")
    again = _op(client, a, "points/earn", card=1, purchase_amount_cents=1299, order_reference="R-9")
    tiny = _op(client, a, "points/earn", card=1, purchase_amount_cents=99)

    assert (first.json()["points_earned"], first.json()["points_balance"]) == (12, 12)
    assert again.status_code == 409
    assert again.json()["code"] == "DUPLICATE_ORDER_REFERENCE"
    assert tiny.json()["code"] == "NO_POINTS_FOR_AMOUNT"


def test_redeem_a_reward_down_to_exactly_zero(client, a):
    fifty = _op(client, a, "points/redeem", reward_id="fifty")
    nothing_left = _op(client, a, "points/redeem", reward_id="ten")
    unknown = _op(client, a, "points/redeem", reward_id="nope")

    assert (fifty.json()["points_spent"], fifty.json()["points_balance"]) == (50, 0)
    assert nothing_left.json()["code"] == "INSUFFICIENT_POINTS"
    assert unknown.json()["code"] == "REWARD_NOT_FOUND"


def test_an_inactive_reward_cannot_be_redeemed(client, a):
    rewards = [{"id": "ten", "name": "Ten", "points_required": 10, "is_active": False}]
    client.put(f"{API}/program", json={"points_rewards": rewards}, headers=a.owner)
    assert _op(client, a, "points/redeem", reward_id="ten").json()["code"] == "REWARD_INACTIVE"


def test_void_points_by_original_reverses_exactly_that_earn_once(client, a):
    by_original = _op(client, a, "points/void", original_transaction_id=a.entry_id)
    by_reference = _op(client, a, "points/void", order_reference="O-1")
    beyond = _op(client, a, "points/void", points_to_void=1)

    assert (by_original.json()["points_voided"], by_original.json()["points_balance"]) == (50, 0)
    assert by_original.json()["total_points_voided"] == 50
    assert by_original.json()["original_transaction_id"] == a.entry_id
    assert by_reference.json()["code"] == "ALREADY_VOIDED"
    assert beyond.json()["code"] == "VOID_EXCEEDS_EARNED"


def test_voids_by_amount_and_by_original_together_never_exceed_what_was_earned(client, a):
    by_amount = _op(client, a, "points/void", points_to_void=5)
    by_original = _op(client, a, "points/void", original_transaction_id=a.entry_id)
    rest = _op(client, a, "points/void", points_to_void=45)

    assert by_amount.json()["points_balance"] == 45
    assert by_original.json()["code"] == "VOID_EXCEEDS_EARNED"
    assert (rest.json()["points_balance"], rest.json()["total_points_voided"]) == (0, 50)


def test_a_void_by_order_reference_reverses_that_earn(client, a):
    response = _op(client, a, "points/void", order_reference="O-1")
    assert (response.json()["points_voided"], response.json()["points_balance"]) == (50, 0)
    assert (
        _op(client, a, "points/void", order_reference="NOPE").json()["code"]
        == "ORIGINAL_TRANSACTION_NOT_FOUND"
    )


def test_a_deactivated_card_refuses_everything_until_reactivated(client, a):
    card = a.cards[0]["id"]
    off = client.post(
        f"{API}/cards/{card}/deactivate",
        json={"staff_pin": PIN, "notes": "lost"},
        headers=a.manager,
    )
    refused = [
        _op(client, a, "stamp").json()["code"],
        _op(client, a, "points/earn", purchase_amount_cents=500).json()["code"],
        _op(client, a, "points/redeem", reward_id="ten").json()["code"],
        _op(client, a, "points/void", points_to_void=1).json()["code"],
        client.post(
            f"{API}/cards/{card}/points/adjust",
            json={"points_delta": 1, "reason": "x"},
            headers=a.owner,
        ).json()["code"],
        client.post(
            f"{API}/cards/{card}/deactivate", json={"staff_pin": PIN}, headers=a.manager
        ).json()["code"],
    ]
    on = client.post(f"{API}/cards/{card}/reactivate", json={"staff_pin": PIN}, headers=a.manager)
    again = client.post(
        f"{API}/cards/{card}/reactivate", json={"staff_pin": PIN}, headers=a.manager
    )
    history = client.get(f"{API}/cards/{card}/transactions", headers=a.manager).json()[
        "transactions"
    ]

    assert off.json()["is_active"] is False
    assert refused == ["CARD_INACTIVE"] * 6
    assert on.json()["is_active"] is True
    assert again.json()["code"] == "CARD_ALREADY_ACTIVE"
    assert [t["transaction_type"] for t in history[:2]] == ["CARD_REACTIVATED", "CARD_DEACTIVATED"]
    assert _op(client, a, "stamp").status_code == 200
