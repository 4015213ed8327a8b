"""Staff PIN lockout and the shift session at their edges (common/pins.py,
common/staff_session.py): what the cashier's warning says near the daily limit, a late
wrong entry never shortening a lock, a one-minute session, and a clock set back by no
more than the slack."""

from datetime import UTC, datetime, timedelta

from common.pins import LockoutPolicy, PinLockState, after_failure, attempts_left
from common.staff_session import CLOCK_SLACK, SessionEnd, StaffSession, ended

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
POLICY = LockoutPolicy(max_attempts=3, lockout_minutes=10)  # 6 a day


def test_the_warning_counts_down_to_the_daily_limit_when_it_comes_first() -> None:
    near = PinLockState(failed_attempts=0, daily_failures=5, daily_since=NOW)
    assert attempts_left(near, POLICY) == 1


def test_past_the_daily_limit_no_attempt_is_left_not_a_negative_count() -> None:
    past = PinLockState(failed_attempts=0, daily_failures=7, daily_since=NOW)
    assert attempts_left(past, POLICY) == 0


def test_a_late_wrong_entry_never_shortens_a_lock_already_set() -> None:
    locked = PinLockState(failed_attempts=2, locked_until=NOW + timedelta(hours=10))

    after = after_failure(locked, POLICY, NOW)

    assert after.lockout_level == 1  # it completed a row: one more lockout...
    assert after.locked_until == NOW + timedelta(hours=10)  # ...inside the longer one


def session(minutes_ago: float) -> StaffSession:
    return StaffSession(staff_pin_id=4, last_activity=NOW - timedelta(minutes=minutes_ago))


def test_a_one_minute_session_stands_within_its_minute() -> None:
    assert ended(session(0.5), NOW, 1, staff_active=True, staff_locked=False) is None
    assert ended(session(1), NOW, 1, staff_active=True, staff_locked=False) is SessionEnd.IDLE


def test_a_clock_set_back_by_the_slack_or_less_keeps_the_session() -> None:
    back = StaffSession(staff_pin_id=4, last_activity=NOW + CLOCK_SLACK)
    assert ended(back, NOW, 5, staff_active=True, staff_locked=False) is None
    further = StaffSession(staff_pin_id=4, last_activity=NOW + CLOCK_SLACK + timedelta(seconds=1))
    assert (
        ended(further, NOW, 5, staff_active=True, staff_locked=False) is SessionEnd.CLOCK_SET_BACK
    )
