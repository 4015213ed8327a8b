"""Program CRUD (owner), settings with the global fallback, and the figures."""

from tests.store_api.conftest import API, PIN
from tests.support.shop import PROGRAM


def test_the_program_reads_back_with_its_derived_flags(client, a):
    program = client.get(f"{API}/program", headers=a.manager).json()

    assert program["merchant_id"] == a.id
    assert program["is_stamps_enabled"] is True
    assert program["is_points_enabled"] is True
    assert [r["id"] for r in program["points_rewards"]] == ["ten", "fifty"]


def test_a_second_program_for_one_merchant_is_refused(client, a):
    response = client.post(f"{API}/program", json=PROGRAM, headers=a.owner)
    assert response.status_code == 409
    assert response.json()["code"] == "PROGRAM_ALREADY_EXISTS"


def test_updating_the_target_never_rescales_balances(client, a):
    card = a.cards[0]["id"]
    client.post(f"{API}/stamp", json={"card_id": card, "staff_pin": PIN}, headers=a.manager)

    updated = client.put(
        f"{API}/program", json={"stamps_target": 5, "loyalty_type": "stamps"}, headers=a.owner
    )
    detail = client.get(f"{API}/cards/{card}", headers=a.manager).json()

    assert updated.json()["stamps_target"] == 5
    assert updated.json()["is_points_enabled"] is False
    assert detail["stamp_count"] == 1
    assert detail["stamps_until_reward"] == 4
    earn = client.post(
        f"{API}/points/earn",
        json={"card_id": card, "purchase_amount_cents": 100, "staff_pin": PIN},
        headers=a.manager,
    )
    assert earn.json()["code"] == "POINTS_NOT_ENABLED"


def test_duplicate_reward_ids_are_refused(client, a):
    """A rule JSON Schema cannot state (unique by id): a conflict with its own code, not
    a 422 for a body the OpenAPI document allows."""
    rewards = [{"id": "x", "name": "X", "points_required": 1}] * 2
    response = client.put(f"{API}/program", json={"points_rewards": rewards}, headers=a.owner)
    assert response.status_code == 409
    assert response.json()["code"] == "REWARD_ID_DUPLICATE"
    assert response.json()["detail"] == {"reward_ids": ["x"]}


def test_deleting_the_program_keeps_cards_and_refuses_operations_until_a_new_one(client, a):
    assert client.delete(f"{API}/program", headers=a.owner).status_code == 204
    assert client.get(f"{API}/program", headers=a.owner).json()["code"] == "PROGRAM_NOT_FOUND"
    stamp = client.post(f"{API}/stamp", json={"card_id": a.cards[0]["id"]}, headers=a.owner)
    assert stamp.json()["code"] == "PROGRAM_NOT_FOUND"
    assert (
        client.get(f"{API}/cards/{a.cards[0]['id']}", headers=a.owner).json()["points_balance"]
        == 50
    )
    assert client.post(f"{API}/program", json=PROGRAM, headers=a.owner).status_code == 201
    assert (
        client.post(f"{API}/stamp", json={"card_id": a.cards[0]["id"]}, headers=a.owner).status_code
        == 200
    )


def test_pin_lockout_settings_fall_back_to_the_server_default(client, a):
    default = client.get(f"{API}/settings", headers=a.manager).json()
    changed = client.put(
        f"{API}/settings",
        json={"pin_lockout_attempts": 3, "pin_lockout_minutes": 10},
        headers=a.owner,
    ).json()
    reset = client.put(
        f"{API}/settings", json={"pin_lockout_attempts": None}, headers=a.owner
    ).json()

    assert (default["pin_lockout_attempts"], default["effective_pin_lockout_attempts"]) == (None, 5)
    assert (
        changed["effective_pin_lockout_attempts"],
        changed["effective_pin_lockout_minutes"],
    ) == (3, 10)
    assert (reset["effective_pin_lockout_attempts"], reset["effective_pin_lockout_minutes"]) == (
        5,
        10,
    )


def test_program_stats_count_today_in_the_store_time_zone(client, a):
    card = a.cards[0]["id"]
    client.post(f"{API}/stamp", json={"card_id": card, "staff_pin": PIN}, headers=a.manager)
    client.post(
        f"{API}/points/redeem",
        json={"card_id": card, "reward_id": "ten", "staff_pin": PIN},
        headers=a.manager,
    )

    stats = client.get(f"{API}/stats", headers=a.manager).json()

    assert stats["total_cards"] == 2
    assert stats["active_cards"] == 2
    assert stats["total_points_earned"] == 50
    assert stats["total_points_redeemed"] == 10
    assert stats["outstanding_points"] == 40
    assert stats["today"] == {
        "stamps": 1,
        "points_earned": 50,
        "redemptions": 1,
        "enrollments": 2,
        "transactions": 5,
    }


def test_merchant_stats_break_down_by_store(client, a):
    stats = client.get(f"{API}/stats/merchant", headers=a.owner).json()

    assert [s["store_id"] for s in stats["stores"]] == a.stores
    first = stats["stores"][0]
    assert (first["enrollments"], first["points_earned"]) == (2, 50)
    assert stats["stores"][1]["transactions"] == 0
