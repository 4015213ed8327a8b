"""Staff PINs: 4 to 8 digits, argon2id, and a lockout that grows with every lock.

The policy is ``common/pins.py``; the server (store API, pushed offline failures) and the
till both run it, so these instants are the ones every side sees."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from common.pins import (
    MAX_LOCKOUT,
    LockoutPolicy,
    PinLockState,
    after_failure,
    after_success,
    after_unlock,
    attempts_left,
    hash_pin,
    is_valid_pin_format,
    verify_pin,
)

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
POLICY = LockoutPolicy(max_attempts=3, lockout_minutes=10)
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        ("1234", True),
        ("12345678", True),
        ("123", False),
        ("123456789", False),
        ("12a4", False),
        ("", False),
    ],
)
def test_pin_format(pin, ok):
    assert is_valid_pin_format(pin) is ok


def test_pins_are_argon2id_and_verify_only_the_right_pin():
    hashed = hash_pin("2468")
    assert hashed.startswith("$argon2id$")
    assert verify_pin(hashed, "2468")
    assert not verify_pin(hashed, "2469")
    assert not verify_pin("not-a-hash", "2468")
    assert hash_pin("2468") != hashed  # salted


def _fail(state: PinLockState, times: int, at: datetime) -> PinLockState:
    for _ in range(times):
        state = after_failure(state, POLICY, at)
    return state


def test_the_attempt_that_reaches_the_limit_locks_for_the_lockout_minutes():
    state = _fail(PinLockState(), 2, NOW)
    assert not state.is_locked(NOW)
    assert attempts_left(state, POLICY) == 1
    state = after_failure(state, POLICY, NOW)

    assert (state.failed_attempts, state.lockout_level) == (3, 1)
    assert state.locked_until == NOW + 10 * MINUTE
    assert state.is_locked(NOW + 10 * MINUTE - timedelta(microseconds=1))


def test_a_lock_that_expires_exactly_now_is_over_and_the_count_starts_again():
    locked = _fail(PinLockState(), 3, NOW)
    expiry = NOW + 10 * MINUTE

    after = after_failure(locked, POLICY, expiry)

    assert not locked.is_locked(expiry)
    assert (after.failed_attempts, after.is_locked(expiry), after.lockout_level) == (1, False, 1)


def test_each_lockout_lasts_twice_the_last_until_a_manager_unlocks():
    state, at, lengths = PinLockState(), NOW, []
    for _ in range(4):  # one row of mistakes a day
        state = _fail(state, 3, at)
        assert state.locked_until is not None
        lengths.append(state.locked_until - at)
        state = after_success(state)  # the owner types it right in between
        at += timedelta(days=1)
    unlocked = _fail(after_unlock(), 3, at)

    assert lengths == [10 * MINUTE, 20 * MINUTE, 40 * MINUTE, 80 * MINUTE]
    assert state.lockout_level == 4
    assert (unlocked.lockout_level, unlocked.locked_until) == (1, at + 10 * MINUTE)


def test_lockouts_stop_growing_at_a_year():
    deep = replace(PinLockState(), lockout_level=60)
    assert POLICY.lockout(61) == MAX_LOCKOUT == timedelta(days=365)
    assert _fail(deep, 3, NOW).locked_until == NOW + MAX_LOCKOUT


def test_a_correct_pin_resets_the_count_but_not_the_level():
    state = after_success(_fail(replace(PinLockState(), lockout_level=2), 2, NOW))
    assert (state.failed_attempts, state.lockout_level) == (0, 2)
    assert attempts_left(state, POLICY) == 3


def test_an_old_mistake_and_later_ones_days_apart_never_lock():
    state, at = PinLockState(), NOW
    for _ in range(6):  # one typo, then the right PIN, every other day
        state = after_success(after_failure(state, POLICY, at))
        at += timedelta(days=2)
    state = _fail(state, 2, at)
    assert not state.is_locked(at)


def test_guessing_between_the_owners_own_uses_still_locks_within_the_day():
    """Success resets the count, so the owner's uses would free a guesser: the failures
    of one day count whatever succeeded in between (twice the lockout attempts)."""
    state = PinLockState()
    for i in range(2 * POLICY.max_attempts - 1):
        state = after_success(after_failure(state, POLICY, NOW + i * MINUTE))
        assert not state.is_locked(NOW + i * MINUTE)
    at = NOW + 10 * MINUTE
    state = after_failure(state, POLICY, at)

    assert (state.lockout_level, state.locked_until) == (1, at + 10 * MINUTE)


def test_past_the_daily_limit_every_wrong_entry_is_another_lockout():
    state = _fail(PinLockState(), 6, NOW)  # two lockouts' worth at one instant
    later = NOW + timedelta(hours=2)
    state = after_failure(after_success(state), POLICY, later)

    assert (state.lockout_level, state.locked_until) == (3, later + 40 * MINUTE)
    fresh_day = after_failure(state, POLICY, NOW + timedelta(days=1))
    assert fresh_day.daily_failures == 1


def test_a_failure_pushed_late_never_shortens_a_lock():
    locked = _fail(PinLockState(), 3, NOW)  # until NOW + 10 min
    late = after_failure(locked, POLICY, NOW - timedelta(hours=1))  # typed offline earlier
    assert late.locked_until is not None
    assert late.locked_until >= NOW + 10 * MINUTE
    assert late.failed_attempts == 4


def _guesses(span: timedelta, owner_between: bool) -> int:
    """A guesser who types a wrong PIN the instant the lock allows, for ``span``;
    with ``owner_between`` the owner's right PIN lands between every two guesses."""
    policy, state, at, count = LockoutPolicy(), PinLockState(), NOW, 0
    while at < NOW + span:
        if state.locked_until is not None and state.is_locked(at):
            at = state.locked_until
            continue
        state, count = after_failure(state, policy, at), count + 1
        state = after_success(state) if owner_between else state
    return count


@pytest.mark.parametrize("owner_between", [False, True])
def test_a_guesser_gets_at_most_15_guesses_a_day_45_a_week_105_a_year(owner_between):
    """The figures of docs/security.md (row 3), at the default 5 attempts / 30 minutes:
    a 4-digit PIN falls with odds of 0.15 % a day, 0.45 % a week, about 1 % a year."""
    day, week = _guesses(DAY_SPAN, owner_between), _guesses(7 * DAY_SPAN, owner_between)
    assert day <= 15
    assert week <= 45
    assert _guesses(365 * DAY_SPAN, owner_between) <= 105


DAY_SPAN = timedelta(days=1)
