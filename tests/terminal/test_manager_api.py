"""The manager area's client against the real server app (in process, SQLite): what an
owner or store manager can read and change, and how refusals come back."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bench.server_process import free_port
from desktop.engine.manager_api import OFFLINE, ManagerApi, ManagerApiError, Reward
from sync_server.actor import Role
from sync_server.auth import accounts, tokens
from tests.support.shop import make_shop

API = "/api/v1/store/loyalty"
BASE = "https://testserver"


@pytest.fixture
def backend() -> str:
    """SQLite is enough here: the client, not the ledger, is under test."""
    return "sqlite"


@pytest.fixture
def shop(session_factory):
    return make_shop(session_factory)


@pytest.fixture
def api(client, shop):
    manager_api = ManagerApi.login(
        BASE, "owner@shop.example", "pw", shop.store_ids[0], transport=client._transport
    )
    yield manager_api
    manager_api.close()


@pytest.fixture
def manager_headers(shop, session_factory) -> dict[str, str]:
    """A store manager of the shop's first store, and a token of theirs for direct calls."""
    with session_factory() as session:
        manager = accounts.create_user(
            session,
            shop.merchant_id,
            "manager@shop.example",
            "pw-manager",
            Role.STORE_MANAGER,
            shop.store_ids[0],
        )
        issued = tokens.issue(
            session, manager, shop.store_ids[0], datetime.now(UTC), timedelta(hours=1)
        )
        session.commit()
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def manager_api(client, manager_headers):
    """A store manager's login: staff PINs yes, owner-only actions no."""
    logged_in = ManagerApi.login(
        BASE, "manager@shop.example", "pw-manager", None, transport=client._transport
    )
    yield logged_in
    logged_in.close()


def _enroll(client, shop, email: str) -> str:
    response = client.post(f"{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers)
    assert response.status_code == 201, response.text
    return str(response.json()["card_number"])


def _pair(client, api: ManagerApi, name: str) -> str:
    code = api.pairing_code().code
    response = client.post("/api/v1/sync/pair", json={"code": code, "name": name})
    assert response.status_code == 200, response.text
    return str(response.json()["device_token"])


# -- login ------------------------------------------------------------------------------


def test_owner_login_acts_for_the_chosen_store(api, shop):
    assert api.store_id == shop.store_ids[0]
    assert api.merchant_id == shop.merchant_id
    assert api.is_owner


def test_a_wrong_password_is_refused_with_the_servers_message(client, shop):
    with pytest.raises(ManagerApiError) as refused:
        ManagerApi.login(BASE, "owner@shop.example", "nope", None, transport=client._transport)
    assert refused.value.code == "UNAUTHORIZED"
    assert refused.value.message == "Wrong email, password or store."


def test_an_unreachable_server_is_reported_as_offline():
    with pytest.raises(ManagerApiError) as refused:
        ManagerApi.login(f"http://127.0.0.1:{free_port()}", "owner@shop.example", "pw", None)
    assert refused.value.code == OFFLINE
    assert "cannot be reached" in refused.value.message


def test_the_password_is_neither_logged_nor_kept(client, shop, session_factory, caplog):
    with session_factory() as session:
        accounts.create_user(session, shop.merchant_id, "second@shop.example", "Sekr1t-Word")
        session.commit()
    caplog.set_level(logging.DEBUG)
    logged_in = ManagerApi.login(
        BASE, "second@shop.example", "Sekr1t-Word", None, transport=client._transport
    )
    assert "Sekr1t-Word" not in caplog.text
    assert "Sekr1t-Word" not in repr(vars(logged_in))
    assert "Bearer" not in repr(logged_in)
    logged_in.close()


def test_logout_revokes_the_token(api, client):
    token = {"Authorization": api._http.headers["Authorization"]}
    assert client.get("/api/v1/auth/me", headers=token).status_code == 200
    api.logout()
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401


# -- program and settings ---------------------------------------------------------------


def test_program_changes_round_trip(api):
    rewards = [Reward("mug", "Mug", 200), Reward("cake", "Cake", 80, is_active=False)]
    updated = api.update_program(
        display_name="Bakery Club", stamps_target=8, points_rewards=rewards
    )
    assert updated.display_name == "Bakery Club"
    assert updated.stamps_target == 8
    again = api.program()
    assert again.display_name == "Bakery Club"
    assert again.points_rewards == tuple(rewards)
    assert again.max_daily_stamps == 5  # fields not sent are kept


def test_an_invalid_program_value_names_the_field(api):
    with pytest.raises(ManagerApiError) as refused:
        api.update_program(stamps_target=0)
    assert refused.value.code == "VALIDATION_ERROR"
    assert "stamps_target" in refused.value.message
    assert api.program().stamps_target == 10


def test_lockout_settings_round_trip_and_fall_back_to_the_default(api):
    default = api.settings()
    changed = api.update_settings(pin_lockout_attempts=3, pin_lockout_minutes=None)
    assert changed.pin_lockout_attempts == 3
    assert changed.effective_pin_lockout_attempts == 3
    assert changed.effective_pin_lockout_minutes == default.effective_pin_lockout_minutes
    back = api.update_settings(pin_lockout_attempts=None, pin_lockout_minutes=None)
    assert back.effective_pin_lockout_attempts == default.effective_pin_lockout_attempts


# -- staff PINs -------------------------------------------------------------------------


def test_a_staff_pin_is_created_renamed_reset_unlocked_and_deleted(
    api, manager_headers, client, shop
):
    number = _enroll(client, shop, "pins@x.example")
    created = api.create_pin("Alex", "1357")
    assert [p.name for p in api.staff_pins()] == ["Alex", "Sam"]

    assert api.rename_pin(created.id, "Alexandra").name == "Alexandra"

    api.update_settings(pin_lockout_attempts=1, pin_lockout_minutes=30)
    wrong = client.post(
        f"{API}/stamp",
        json={"card_number": number, "staff_pin": "9999", "staff_pin_id": created.id},
        headers=manager_headers,
    )
    assert wrong.json()["code"] == "STAFF_PIN_LOCKED"  # the limit is one wrong entry
    locked = next(p for p in api.staff_pins() if p.id == created.id)
    assert locked.is_locked
    assert locked.locked_until is not None

    unlocked = api.unlock_pin(created.id)
    assert not unlocked.is_locked
    assert unlocked.failed_attempts == 0

    api.reset_pin(created.id, "8642")
    stamped = client.post(
        f"{API}/stamp",
        json={"card_number": number, "staff_pin": "8642", "staff_pin_id": created.id},
        headers=manager_headers,
    )
    assert stamped.status_code == 200, stamped.text

    api.delete_pin(created.id)
    assert [p.name for p in api.staff_pins()] == ["Sam"]
    with pytest.raises(ManagerApiError) as again:
        api.delete_pin(created.id)
    assert again.value.code == "STAFF_PIN_NOT_FOUND"


def test_a_pin_used_by_another_staff_member_is_refused(api, shop):
    with pytest.raises(ManagerApiError) as refused:
        api.create_pin("Twin", shop.pin)
    assert refused.value.code == "STAFF_PIN_DUPLICATE"
    assert refused.value.message == "Another staff member of this store uses this PIN."


def test_a_pin_that_is_not_4_to_8_digits_is_refused_before_sending(api):
    with pytest.raises(ManagerApiError) as refused:
        api.create_pin("Short", "12")
    assert refused.value.message == "A staff PIN is 4 to 8 digits."
    assert [p.name for p in api.staff_pins()] == ["Sam"]


def test_a_store_manager_manages_pins_too(manager_api):
    assert manager_api.create_pin("Robin", "5555").name == "Robin"
    assert not manager_api.is_owner


# -- points adjustment ------------------------------------------------------------------


def test_points_are_adjusted_with_a_reason(api, client, shop):
    number = _enroll(client, shop, "adjust@x.example")
    added = api.adjust_points(number, 250, "Birthday gift")
    assert (added.points_delta, added.points_balance, added.reason) == (250, 250, "Birthday gift")
    taken = api.adjust_points(number, -50, "Typo at the till")
    assert taken.points_balance == 200
    assert api.find_card("adjust@x.example").points_balance == 200


def test_adjustments_are_bounded_to_100000_points_either_way(api, client, shop):
    number = _enroll(client, shop, "bounds@x.example")
    for delta in (100_001, -100_001, 0):
        with pytest.raises(ManagerApiError) as refused:
            api.adjust_points(number, delta, "Too much")
        assert refused.value.code == "ADJUSTMENT_OUT_OF_BOUNDS"
        assert refused.value.message == "Adjustments are limited to ±100000 points."
    assert api.adjust_points(number, 100_000, "Largest allowed").points_balance == 100_000
    assert api.find_card(number).points_balance == 100_000


def test_an_adjustment_needs_a_reason_and_a_known_card(api, client, shop):
    number = _enroll(client, shop, "reason@x.example")
    with pytest.raises(ManagerApiError) as no_reason:
        api.adjust_points(number, 10, "   ")
    assert no_reason.value.message == "Give a reason for the adjustment."
    with pytest.raises(ManagerApiError) as bad_number:
        api.adjust_points("1234", 10, "Gift")
    assert bad_number.value.code == "INVALID_CARD_NUMBER"


def test_only_the_owner_adjusts_points(manager_api, client, shop):
    number = _enroll(client, shop, "owner-only@x.example")
    with pytest.raises(ManagerApiError) as refused:
        manager_api.adjust_points(number, 10, "Gift")
    assert refused.value.code == "FORBIDDEN"
    assert refused.value.message == "Only the merchant owner may do this."


# -- terminals --------------------------------------------------------------------------


def test_terminals_are_listed_and_a_revoked_one_is_refused(api, client):
    front = _pair(client, api, "Front till")
    _pair(client, api, "Back till")
    listed = api.terminals()
    assert [t.name for t in listed] == ["Front till", "Back till"]
    assert not any(t.is_revoked for t in listed)

    revoked = api.revoke_terminal(listed[0].id)
    assert revoked.is_revoked
    assert [t.is_revoked for t in api.terminals()] == [True, False]
    pull = client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {front}"})
    assert pull.status_code == 401


def test_revoking_an_unknown_terminal_says_not_found(api):
    with pytest.raises(ManagerApiError) as refused:
        api.revoke_terminal(999_999)
    assert (refused.value.code, refused.value.message) == ("NOT_FOUND", "Terminal not found.")


def test_a_store_manager_is_shown_the_servers_403_for_terminals(manager_api):
    with pytest.raises(ManagerApiError) as refused:
        manager_api.terminals()
    assert refused.value.code == "FORBIDDEN"
    assert refused.value.message == "Only the merchant owner may do this."


# -- stats ------------------------------------------------------------------------------


def test_todays_stats_count_what_happened(api, client, shop):
    first, second = _enroll(client, shop, "s1@x.example"), _enroll(client, shop, "s2@x.example")
    for number in (first, first, second):
        assert client.post(
            f"{API}/stamp", json={"card_number": number}, headers=shop.owner_headers
        ).is_success
    earned = client.post(
        f"{API}/points/earn",
        json={"card_number": first, "purchase_amount_cents": 4500},
        headers=shop.owner_headers,
    )
    assert earned.status_code == 200, earned.text
    redeemed = client.post(
        f"{API}/points/redeem",
        json={"card_number": first, "reward_id": "ten"},
        headers=shop.owner_headers,
    )
    assert redeemed.status_code == 200, redeemed.text
    api.adjust_points(second, 500, "Goodwill")  # an adjustment is not an earn

    stats = api.stats()
    today = stats.today
    assert (today.stamps, today.points_earned, today.redemptions, today.enrollments) == (
        3,
        45,
        1,
        2,
    )
    assert stats.total_cards == 2
    assert stats.outstanding_points == 45 - 10 + 500
