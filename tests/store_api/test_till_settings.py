"""The merchant's till settings (how long a cashier stays signed in, the currency):
set by the owner through the settings API within bounds, refused with a stable code
otherwise, and handed to the till with every pull."""

import pytest

from desktop.engine.terminal import Terminal
from desktop.engine.tokens import MemoryTokens
from tests.store_api.conftest import API

BASE = "https://testserver"


def test_the_settings_round_trip_and_null_falls_back_to_the_default(client, a):
    default = client.get(f"{API}/settings", headers=a.manager).json()
    changed = client.put(
        f"{API}/settings",
        json={"staff_session_minutes": 15, "currency": "USD"},
        headers=a.owner,
    )
    read = client.get(f"{API}/settings", headers=a.manager).json()
    reset = client.put(
        f"{API}/settings", json={"staff_session_minutes": None, "currency": None}, headers=a.owner
    ).json()

    assert (default["effective_staff_session_minutes"], default["effective_currency"]) == (0, "EUR")
    assert (default["staff_session_minutes"], default["currency"]) == (None, None)
    assert changed.status_code == 200, changed.text
    assert (read["staff_session_minutes"], read["effective_staff_session_minutes"]) == (15, 15)
    assert (read["currency"], read["effective_currency"]) == ("USD", "USD")
    assert read["effective_pin_lockout_attempts"] == 5  # the other settings stay as they were
    assert (reset["effective_staff_session_minutes"], reset["effective_currency"]) == (0, "EUR")


@pytest.mark.parametrize("minutes", [0, 720])
def test_the_bounds_of_the_session_are_accepted(client, a, minutes):
    answer = client.put(f"{API}/settings", json={"staff_session_minutes": minutes}, headers=a.owner)
    assert answer.status_code == 200, answer.text
    assert answer.json()["effective_staff_session_minutes"] == minutes


@pytest.mark.parametrize(
    "body",
    [
        {"staff_session_minutes": -1},
        {"staff_session_minutes": 721},
        {"staff_session_minutes": 2**63},
        {"staff_session_minutes": "15"},
        {"staff_session_minutes": 1.5},
        {"staff_session_minutes": True},
        {"currency": "eur"},
        {"currency": "EURO"},
        {"currency": "EU"},
        {"currency": "€"},
        {"currency": "E1R"},
        {"currency": "ÉUR"},
        {"currency": "EUR\n"},
        {"currency": 978},
        {"currency": ""},
    ],
)
def test_hostile_values_are_refused_with_a_stable_code_and_change_nothing(client, a, body):
    client.put(
        f"{API}/settings", json={"staff_session_minutes": 5, "currency": "GBP"}, headers=a.owner
    )
    answer = client.put(f"{API}/settings", json=body, headers=a.owner)
    after = client.get(f"{API}/settings", headers=a.owner).json()

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "VALIDATION_ERROR"
    assert (after["staff_session_minutes"], after["currency"]) == (5, "GBP")


def test_only_the_owner_sets_them(client, a):
    answer = client.put(f"{API}/settings", json={"staff_session_minutes": 60}, headers=a.manager)
    assert answer.status_code == 403
    assert client.get(f"{API}/settings", headers=a.owner).json()["staff_session_minutes"] is None


def test_the_till_gets_them_on_its_next_pull(client, a, b, tmp_path):
    """Through the till's own sync client and page checks, not a hand-made pull."""
    client.put(
        f"{API}/settings", json={"staff_session_minutes": 20, "currency": "GBP"}, headers=a.owner
    )
    client.put(f"{API}/settings", json={"currency": "USD"}, headers=b.owner)
    terminal = Terminal(tmp_path / "till", tokens=MemoryTokens(), transport=client._transport)
    try:
        code = client.post("/api/v1/terminals/pairing-codes", headers=a.owner).json()["code"]
        terminal.client.pair(BASE, code, "Front")
        assert terminal.client.sync_once().online
        pulled = terminal.store.get_meta("settings")
        assert (pulled["staff_session_minutes"], pulled["currency"]) == (20, "GBP")

        client.put(f"{API}/settings", json={"staff_session_minutes": 0}, headers=a.owner)
        terminal.client.sync_once()
        assert terminal.store.get_meta("settings")["staff_session_minutes"] == 0
    finally:
        terminal.close()
