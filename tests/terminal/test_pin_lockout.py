"""Staff PIN lockouts at the till and after its push: the till and the server run the
same progressive policy (common/pins.py), and a right PIN typed at the till forgives the
row of mistakes on the server too, so the next pull does not bring it back."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from common.operations import AddStamp
from desktop.engine.local_store import LocalStore
from desktop.engine.staff import check_pin
from desktop.engine.till import Confirmed, Till
from sync_server.models import StaffPin
from tests.support.local_till import pull_into as _pull_into
from tests.support.shop import make_shop
from tests.support.till import pair
from tests.terminal.test_till_engine import Clock

API = "/api/v1/store/loyalty"
WRONG = "0000"


@pytest.fixture
def counter(client, session_factory, tmp_path):
    shop = make_shop(session_factory, cooldown_minutes=0, max_daily_stamps=20)
    number = client.post(
        f"{API}/cards/enroll", json={"email": "c@x.example"}, headers=shop.owner_headers
    ).json()["card_number"]
    remote = pair(client, shop.owner_headers)
    store = LocalStore(tmp_path / "till.db")
    with store.transaction() as conn:
        store.set_meta(conn, "card_node", remote.card_node)
    _pull_into(store, remote)
    clock = Clock()
    return shop, number, remote, store, Till(store, now=clock), clock


def _sync(store: LocalStore, remote) -> dict:
    """Push the outbox and the queued wrong PINs as the sync client does, then pull."""
    with store.engine.connect() as conn:
        failures = [
            dict(r)
            for r in conn.execute(text("SELECT * FROM pin_failures WHERE sent = 0")).mappings()
        ]
    ops = [
        {
            "op_id": e.op_id,
            "seq": e.seq,
            "staff_pin_id": e.staff_pin_id,
            "client_time": e.client_time.isoformat(),
            "offline": e.offline,
            "snapshot_age_s": e.snapshot_age_s,
            "body": e.op.model_dump(mode="json"),
        }
        for e in store.entries()
    ]
    pushed = [{k: f[k] for k in ("event_id", "staff_pin_id", "occurred_at")} for f in failures]
    response = remote.push(ops, pushed)
    assert response.status_code == 200, response.text
    store.record_outcomes(response.json()["results"])
    with store.transaction() as conn:
        conn.execute(text("UPDATE pin_failures SET sent = 1"))
    _pull_into(store, remote)
    return response.json()


def _local(store: LocalStore, pin_id: int) -> tuple[int, int]:
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT failed_attempts, lockout_level FROM staff_pins WHERE id = :i"),
            {"i": pin_id},
        ).one()
    return row.failed_attempts, row.lockout_level or 0


def test_a_right_pin_at_the_till_forgives_the_mistake_on_the_server_too(counter, session_factory):
    shop, number, remote, store, till, clock = counter
    pin_id = shop.pin_ids[shop.store_ids[0]]
    clock.now = datetime.now(UTC) - timedelta(minutes=10)
    assert check_pin(store, pin_id, WRONG, clock.now).code == "STAFF_PIN_INVALID"
    clock.now += timedelta(minutes=5)
    assert check_pin(store, pin_id, shop.pin, clock.now) == pin_id
    assert isinstance(till.perform(AddStamp(card_number=number), pin_id), Confirmed)

    _sync(store, remote)

    with session_factory() as session:
        assert session.get_one(StaffPin, pin_id).failed_attempts == 0
    assert _local(store, pin_id) == (0, 0)  # the pull did not bring the old mistake back
    later = check_pin(store, pin_id, WRONG, datetime.now(UTC) + timedelta(days=3))
    assert later.detail["attempts_remaining"] == 4


def test_a_locked_pin_refuses_even_the_right_pin_at_the_till_until_the_lock_ends(counter):
    """Planted bug this kills: deleting the till's own lock check (a right PIN typed
    while locked was accepted; 143 tests passed without it)."""
    shop, _, _, store, _, _ = counter
    pin_id, start = shop.pin_ids[shop.store_ids[0]], datetime.now(UTC)
    for _ in range(5):
        check_pin(store, pin_id, WRONG, start)

    during = check_pin(store, pin_id, shop.pin, start + timedelta(minutes=29))
    after = check_pin(store, pin_id, shop.pin, start + timedelta(minutes=30))

    assert getattr(during, "code", None) == "STAFF_PIN_LOCKED"
    assert after == pin_id


def test_each_lockout_at_the_till_lasts_twice_the_last(counter):
    shop, _, _, store, _, _ = counter
    pin_id, start = shop.pin_ids[shop.store_ids[0]], datetime.now(UTC)
    first = [check_pin(store, pin_id, WRONG, start) for _ in range(5)][-1]
    reopened = start + timedelta(minutes=30)
    second = [check_pin(store, pin_id, WRONG, reopened) for _ in range(5)][-1]

    assert first.detail["locked_until"] == (start + timedelta(minutes=30)).isoformat()
    assert second.detail["locked_until"] == (reopened + timedelta(minutes=60)).isoformat()
    assert _local(store, pin_id) == (5, 2)


def test_wrong_pins_pushed_from_the_till_lock_the_server_at_the_same_level(
    counter, session_factory
):
    shop, _, remote, store, _, _ = counter
    pin_id, start = shop.pin_ids[shop.store_ids[0]], datetime.now(UTC) - timedelta(hours=2)
    for at in (start, start + timedelta(minutes=30)):
        for _ in range(5):
            check_pin(store, pin_id, WRONG, at)

    answer = _sync(store, remote)

    with session_factory() as session:
        pin = session.get_one(StaffPin, pin_id)
        assert pin.lockout_level == 2
        assert pin.locked_until is not None
        assert pin.locked_until - timedelta(minutes=60) == pin.daily_since + timedelta(minutes=30)
    assert {f["status"] for f in answer["pin_failures"]} == {"counted"}
    assert _local(store, pin_id) == (5, 2)
