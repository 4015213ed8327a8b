"""Staff PINs: managed by a person of the store, checked after the card lock, locked out."""

from sync_server.models import LedgerEntry, StaffPin
from tests.store_api.conftest import API, PIN


def _stamp(client, a, **pin):
    return client.post(f"{API}/stamp", json={"card_id": a.cards[0]["id"], **pin}, headers=a.manager)


def test_pins_are_created_listed_renamed_and_deleted_without_exposing_hashes(client, a):
    created = client.post(
        f"{API}/pins", json={"name": "Zoé", "pin": "7777", "staff_id": "E7"}, headers=a.manager
    )
    renamed = client.patch(
        f"{API}/pins/{created.json()['id']}", json={"name": "Zoe"}, headers=a.manager
    )
    listed = client.get(f"{API}/pins", headers=a.manager).json()
    deleted = client.delete(f"{API}/pins/{created.json()['id']}", headers=a.manager)

    assert created.status_code == 201
    assert "pin_hash" not in created.json()
    assert "pin" not in created.json()
    assert renamed.json()["name"] == "Zoe"
    assert listed["total"] == 2
    assert deleted.status_code == 204
    assert client.get(f"{API}/pins", headers=a.manager).json()["total"] == 1


def test_two_staff_of_one_store_cannot_share_a_pin(client, a):
    response = client.post(f"{API}/pins", json={"name": "Twin", "pin": PIN}, headers=a.manager)
    assert response.status_code == 409
    assert response.json()["code"] == "STAFF_PIN_DUPLICATE"


def test_a_pin_must_be_4_to_8_digits(client, a):
    for bad in ("123", "123456789", "12a4"):
        assert (
            client.post(
                f"{API}/pins", json={"name": "X", "pin": bad}, headers=a.manager
            ).status_code
            == 422
        )


def test_a_manager_must_confirm_with_a_pin(client, a):
    response = _stamp(client, a)
    assert response.status_code == 400
    assert response.json()["code"] == "STAFF_PIN_REQUIRED"


def test_wrong_pins_count_persist_and_lock_then_unlock_resets(client, session_factory, a):
    client.put(f"{API}/settings", json={"pin_lockout_attempts": 3}, headers=a.owner)
    named = {"staff_pin": "0000", "staff_pin_id": a.pins[0]}

    first, second = _stamp(client, a, **named), _stamp(client, a, **named)
    third = _stamp(client, a, **named)
    right_but_locked = _stamp(client, a, staff_pin=PIN, staff_pin_id=a.pins[0])

    assert (first.status_code, first.json()["detail"]["attempts_remaining"]) == (403, 2)
    assert second.json()["code"] == "STAFF_PIN_INVALID"
    assert third.status_code == 423
    assert right_but_locked.json()["code"] == "STAFF_PIN_LOCKED"
    with session_factory() as session:
        pin = session.get_one(StaffPin, a.pins[0])
        assert pin.failed_attempts == 3
        assert pin.locked_until is not None
    listed = client.get(f"{API}/pins", headers=a.manager).json()["pins"][0]
    assert listed["is_locked"] is True
    unlocked = client.post(f"{API}/pins/{a.pins[0]}/unlock", headers=a.manager).json()
    assert (unlocked["failed_attempts"], unlocked["is_locked"]) == (0, False)
    assert _stamp(client, a, staff_pin=PIN, staff_pin_id=a.pins[0]).status_code == 200


def test_an_anonymous_pin_is_matched_and_wrong_ones_lock_anonymous_entry(client, a):
    client.put(f"{API}/settings", json={"pin_lockout_attempts": 2}, headers=a.owner)

    ok = _stamp(client, a, staff_pin=PIN)
    wrong = [_stamp(client, a, staff_pin="1111") for _ in range(2)]
    after = _stamp(client, a, staff_pin=PIN)
    named = client.post(
        f"{API}/points/earn",
        json={
            "card_id": a.cards[1]["id"],
            "purchase_amount_cents": 500,
            "staff_pin": PIN,
            "staff_pin_id": a.pins[0],
        },
        headers=a.manager,
    )

    assert ok.status_code == 200
    assert ok.json()["staff_name"] == "Sam"
    assert [w.status_code for w in wrong] == [403, 423]
    assert after.json()["code"] == "STAFF_PIN_LOCKED"
    assert named.status_code == 200  # naming the staff member still works


def test_a_changed_pin_replaces_the_old_one(client, a):
    client.patch(f"{API}/pins/{a.pins[0]}", json={"pin": "8642"}, headers=a.manager)
    assert (
        _stamp(client, a, staff_pin=PIN, staff_pin_id=a.pins[0]).json()["code"]
        == "STAFF_PIN_INVALID"
    )
    assert _stamp(client, a, staff_pin="8642", staff_pin_id=a.pins[0]).status_code == 200


def test_every_operation_records_store_staff_ip_and_user_agent(client, session_factory, a):
    response = client.post(
        f"{API}/stamp",
        json={"card_id": a.cards[1]["id"], "staff_pin": PIN},
        headers={**a.manager, "User-Agent": "till-7"},
    )
    with session_factory() as session:
        entry = session.get_one(LedgerEntry, response.json()["transaction_id"])
    assert (entry.store_id, entry.staff_pin_id, entry.user_agent) == (
        a.stores[0],
        a.pins[0],
        "till-7",
    )
    assert entry.ip_address
