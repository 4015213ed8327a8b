"""Sign-in per shift, the pure rule: when a verified cashier's session still stands."""

from datetime import UTC, datetime, timedelta

import pytest

from common.staff_session import (
    MAX_SESSION_MINUTES,
    SessionEnd,
    StaffSession,
    ended,
    expires_at,
    session_minutes,
    touched,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SESSION = StaffSession(staff_pin_id=7, last_activity=T0)


def _ended(at: datetime, minutes: int = 15, active: bool = True, locked: bool = False):
    return ended(SESSION, at, minutes, staff_active=active, staff_locked=locked)


def test_it_stands_until_the_last_moment_of_the_idle_window_and_ends_on_it():
    assert _ended(T0) is None
    assert _ended(T0 + timedelta(minutes=15) - timedelta(microseconds=1)) is None
    assert _ended(T0 + timedelta(minutes=15)) is SessionEnd.IDLE
    assert expires_at(SESSION, 15) == T0 + timedelta(minutes=15)


def test_a_setting_of_zero_asks_every_time():
    assert _ended(T0, minutes=0) is SessionEnd.NOT_ALLOWED
    assert _ended(T0, minutes=-5) is SessionEnd.NOT_ALLOWED


def test_a_deactivated_or_locked_cashier_is_signed_out_at_once():
    assert _ended(T0, active=False) is SessionEnd.STAFF_INACTIVE
    assert _ended(T0, locked=True) is SessionEnd.STAFF_LOCKED


def test_a_clock_set_back_ends_it_but_a_small_step_back_does_not():
    assert _ended(T0 - timedelta(seconds=30)) is None
    assert _ended(T0 - timedelta(minutes=2)) is SessionEnd.CLOCK_SET_BACK


def test_activity_slides_the_window_and_never_moves_it_back():
    later = touched(SESSION, T0 + timedelta(minutes=10))
    assert later == StaffSession(7, T0 + timedelta(minutes=10))
    at = T0 + timedelta(minutes=24)
    assert ended(later, at, 15, staff_active=True, staff_locked=False) is None
    assert touched(later, T0) == later


@pytest.mark.parametrize(
    ("pulled", "minutes"),
    [
        (None, 0),
        (0, 0),
        (30, 30),
        (MAX_SESSION_MINUTES, MAX_SESSION_MINUTES),
        (MAX_SESSION_MINUTES + 1, 0),
        (-1, 0),
        (True, 0),
        ("30", 0),
        (2.5, 0),
    ],
)
def test_a_pulled_setting_out_of_bounds_or_of_another_type_means_ask_every_time(pulled, minutes):
    assert session_minutes(pulled) == minutes
