"""Sign-in per shift at the till (desktop/engine/shift.py) on a snapshot pulled from the
server: with the merchant's session minutes, a cashier whose PIN was verified stays
signed in while operations keep coming, and is signed out when idle, locked or signing
out; with 0 minutes the PIN is asked every time. Tested in tests/ui before, through the
window only.

Planted bugs each test was seen failing on (mutmut's names, ``Shift.*``): ``act``
testing ``signed_in is not None`` (nobody ever confirmed by the session);
``confirmed``'s session started with no time, ``current`` asking ``staff`` without the
store, calling ``next`` on nothing or ``ended`` without the minutes (each an error the
first time a session is used); ``current`` giving the cashier's id as None;
``confirmed`` starting a session with 0 minutes (``>= 0``: it ends at once, "not
allowed")."""

from datetime import UTC, datetime, timedelta

from common.staff_session import SessionEnd
from desktop.engine.local_store import LocalStore
from desktop.engine.shift import Shift, SignedIn
from desktop.engine.staff import check_pin
from tests.support.shop import make_shop
from tests.support.till import pair

try:
    from tests.support.local_till import pull_into as _pull_into
except ImportError:  # the mutation run's copy of an older commit (docs/mutation.md)
    from tests.terminal.test_till_engine import _pull_into  # type: ignore[no-redef]

WRONG = "0000"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _shift(client, session_factory, tmp_path, minutes: int | None):
    shop = make_shop(session_factory)
    if minutes is not None:
        changed = client.put(
            "/api/v1/store/loyalty/settings",
            json={"staff_session_minutes": minutes, "pin_lockout_attempts": 2},
            headers=shop.owner_headers,
        )
        assert changed.status_code == 200, changed.text
    remote = pair(client, shop.owner_headers)
    store = LocalStore(tmp_path / "till.db")
    _pull_into(store, remote)
    clock = Clock()
    return Shift(store, clock), store, clock, shop.pin_ids[remote.store_id]


def test_a_confirmed_cashier_stays_signed_in_while_operations_keep_coming(
    client, session_factory, tmp_path
):
    shift, _, clock, sam = _shift(client, session_factory, tmp_path, 15)
    start = clock.now

    shift.confirmed(sam)
    signed_in = shift.current()
    clock.now += timedelta(minutes=10)
    acting = shift.act()
    clock.now += timedelta(minutes=10)  # 20 minutes after the PIN, 10 after the last op

    assert signed_in == SignedIn(sam, "Sam", start + timedelta(minutes=15))
    assert acting == SignedIn(sam, "Sam", start + timedelta(minutes=25))
    assert shift.current() == acting
    assert shift.last_cashier() == sam


def test_an_idle_cashier_is_signed_out_and_the_pin_is_asked_again(
    client, session_factory, tmp_path
):
    shift, _, clock, sam = _shift(client, session_factory, tmp_path, 15)
    shift.confirmed(sam)

    clock.now += timedelta(minutes=15)

    assert shift.act() is None
    assert shift.last_end is SessionEnd.IDLE
    assert shift.last_cashier() == sam  # still pre-selected in the PIN dialog


def test_a_cashier_locked_out_meanwhile_is_signed_out(client, session_factory, tmp_path):
    shift, store, clock, sam = _shift(client, session_factory, tmp_path, 15)
    shift.confirmed(sam)

    for _ in range(2):
        check_pin(store, sam, WRONG, clock.now)

    assert shift.current() is None
    assert shift.last_end is SessionEnd.STAFF_LOCKED


def test_signing_out_ends_the_session(client, session_factory, tmp_path):
    shift, _, _, sam = _shift(client, session_factory, tmp_path, 15)
    shift.confirmed(sam)

    shift.sign_out()

    assert shift.act() is None
    assert shift.last_end is SessionEnd.SIGNED_OUT


def test_without_session_minutes_the_pin_is_asked_for_every_operation(
    client, session_factory, tmp_path
):
    shift, _, _, sam = _shift(client, session_factory, tmp_path, None)

    shift.confirmed(sam)

    assert shift.minutes == 0
    assert shift.current() is None
    assert shift.act() is None
    assert shift.last_end is None  # no session began, so none ended
    assert shift.last_cashier() == sam
