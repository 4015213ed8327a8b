"""The till locks a PIN by the merchant's own policy as pulled (not the defaults), and
by the day's count of wrong entries too: right PINs in between forgive the row of
mistakes but not the day's, at the till as on the server (common/pins.py).

Written against the mutants mutmut left alive in desktop/engine/staff.py
(docs/mutation.md): ``_policy`` reading no setting (the defaults apply), the day's
start (``daily_since``) dropped when read or saved, so every wrong entry starts a new
day and the daily limit never locks."""

from datetime import UTC, datetime, timedelta

from desktop.engine.local_store import LocalStore
from desktop.engine.staff import check_pin
from tests.support.local_till import pull_into as _pull_into
from tests.support.shop import make_shop
from tests.support.till import pair

WRONG = "0000"


def _till_with_attempts(client, session_factory, tmp_path, attempts: int):
    shop = make_shop(session_factory)
    changed = client.put(
        "/api/v1/store/loyalty/settings",
        json={"pin_lockout_attempts": attempts},
        headers=shop.owner_headers,
    )
    assert changed.status_code == 200, changed.text
    remote = pair(client, shop.owner_headers)
    store = LocalStore(tmp_path / "till.db")
    _pull_into(store, remote)
    return store, shop.pin_ids[remote.store_id], shop.pin


def test_the_merchants_attempts_lock_the_pin_at_the_till(client, session_factory, tmp_path):
    store, pin_id, _ = _till_with_attempts(client, session_factory, tmp_path, 3)
    now = datetime.now(UTC)

    answers = [check_pin(store, pin_id, WRONG, now) for _ in range(3)]

    assert [a.code for a in answers] == ["STAFF_PIN_INVALID"] * 2 + ["STAFF_PIN_LOCKED"]
    assert [a.detail.get("attempts_remaining") for a in answers[:2]] == [2, 1]


def test_the_days_wrong_entries_lock_the_pin_though_right_ones_broke_the_row(
    client, session_factory, tmp_path
):
    """3 in a row lock; so do 6 in a day (twice the row), rights in between or not."""
    store, pin_id, right = _till_with_attempts(client, session_factory, tmp_path, 3)
    now = datetime.now(UTC)
    for minute, pin in enumerate([WRONG, WRONG, right, WRONG, WRONG, right, WRONG]):
        answer = check_pin(store, pin_id, pin, now + timedelta(minutes=minute))
        assert answer == pin_id or answer.code == "STAFF_PIN_INVALID", answer

    sixth = check_pin(store, pin_id, WRONG, now + timedelta(minutes=7))

    assert sixth.code == "STAFF_PIN_LOCKED"
