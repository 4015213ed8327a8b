"""Staff PINs: 4 to 8 digits, argon2id, locked on the attempt that reaches the limit."""

from datetime import UTC, datetime, timedelta

import pytest

from common.pins import (
    LockoutPolicy,
    PinLockState,
    after_failure,
    after_success,
    hash_pin,
    is_valid_pin_format,
    verify_pin,
)

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
POLICY = LockoutPolicy(max_attempts=3, lockout_minutes=10)


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


def test_the_attempt_that_reaches_the_limit_locks_for_the_lockout_minutes():
    state = PinLockState()
    for _ in range(2):
        state = after_failure(state, POLICY, NOW)
        assert not state.is_locked(NOW)
    state = after_failure(state, POLICY, NOW)

    assert state.failed_attempts == 3
    assert state.locked_until == NOW + timedelta(minutes=10)
    assert state.is_locked(NOW + timedelta(minutes=10) - timedelta(seconds=1))
    assert not state.is_locked(NOW + timedelta(minutes=10))


def test_after_an_expired_lock_the_count_starts_again():
    locked = PinLockState(3, NOW)
    state = after_failure(locked, POLICY, NOW + timedelta(seconds=1))
    assert (state.failed_attempts, state.locked_until) == (1, None)


def test_success_resets():
    assert after_success() == PinLockState(0, None)
