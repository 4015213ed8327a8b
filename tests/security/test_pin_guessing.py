"""Guessing a staff PIN from several tills of one store: every wrong entry counts on
the PIN's row in the database, so the lockout is the store's, not one till's; and a
PIN of another store is not even found. (Offline guesses pushed later count too:
tests/sync/test_offline.py; the till's own count: tests/terminal.)"""

from datetime import datetime, timedelta

from tests.store_api.conftest import API, PIN
from tests.support.till import pair


def _stamp(client, headers, card_id: int, pin: str, pin_id: int):
    return client.post(
        f"{API}/stamp",
        json={"card_id": card_id, "staff_pin": pin, "staff_pin_id": pin_id},
        headers=headers,
    )


def test_wrong_pins_alternating_between_two_tills_lock_the_pin_for_both(client, a):
    client.put(f"{API}/settings", json={"pin_lockout_attempts": 4}, headers=a.owner)
    tills = [pair(client, a.owner, "Front"), pair(client, a.owner, "Back")]
    card = a.cards[1]["id"]

    answers = [
        _stamp(client, tills[i % 2].headers, card, f"{9000 + i}", a.pins[0]) for i in range(4)
    ]
    right_pin = [_stamp(client, till.headers, card, PIN, a.pins[0]) for till in tills]

    assert [r.status_code for r in answers] == [403, 403, 403, 423]
    assert [r.json()["detail"].get("attempts_remaining") for r in answers[:3]] == [3, 2, 1]
    assert {(r.status_code, r.json()["code"]) for r in right_pin} == {(423, "STAFF_PIN_LOCKED")}


def test_a_till_cannot_try_the_pins_of_another_store(client, a):
    till = pair(client, a.owner)  # a till of store A1
    other_store_pin = a.pins[1]

    response = _stamp(client, till.headers, a.cards[1]["id"], PIN, other_store_pin)

    assert response.status_code == 404
    assert response.json()["code"] == "STAFF_PIN_NOT_FOUND"


def test_each_lockout_lasts_twice_the_last_until_a_manager_unlocks(client, a, clock):
    """At 3 tries and 10 minutes a guesser gets 10, then 20, then 40 minutes' wait…;
    only a manager's unlock starts again from 10 (common/pins.py has the arithmetic)."""
    client.put(
        f"{API}/settings",
        json={"pin_lockout_attempts": 3, "pin_lockout_minutes": 10},
        headers=a.owner,
    )
    card, pin_id = a.cards[1]["id"], a.pins[0]

    def lock_after_three_wrong() -> timedelta:
        answers = [_stamp(client, a.manager, card, f"{9000 + i}", pin_id) for i in range(3)]
        assert [r.status_code for r in answers] == [403, 403, 423]
        return datetime.fromisoformat(answers[-1].json()["detail"]["locked_until"]) - clock.now

    first = lock_after_three_wrong()
    clock.advance(first)  # the lock ends exactly now: the next try is heard
    second = lock_after_three_wrong()
    clock.advance(second)
    unlocked = client.post(f"{API}/pins/{pin_id}/unlock", headers=a.manager)
    after_unlock = lock_after_three_wrong()

    assert (first, second) == (timedelta(minutes=10), timedelta(minutes=20))
    assert unlocked.status_code == 200
    assert after_unlock == timedelta(minutes=10)
