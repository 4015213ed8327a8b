"""A staff PIN row's lock state, read into and written from ``common/pins.py``'s policy.

The store API, pushed offline failures and pushed PIN-confirmed ops all go through
here, so a wrong PIN counts the same whichever way it reached the server."""

from datetime import datetime

from common.pins import LockoutPolicy, PinLockState, after_failure, after_success, after_unlock
from sync_server.models import StaffPin


def lock_state(pin: StaffPin) -> PinLockState:
    return PinLockState(
        failed_attempts=pin.failed_attempts,
        locked_until=pin.locked_until,
        lockout_level=pin.lockout_level or 0,
        daily_failures=pin.daily_failures or 0,
        daily_since=pin.daily_since,
    )


def _store(pin: StaffPin, state: PinLockState) -> PinLockState:
    pin.failed_attempts = state.failed_attempts
    pin.locked_until = state.locked_until
    pin.lockout_level = state.lockout_level
    pin.daily_failures = state.daily_failures
    pin.daily_since = state.daily_since
    return state


def count_failure(pin: StaffPin, policy: LockoutPolicy, at: datetime) -> PinLockState:
    """The row must be locked (``SELECT … FOR UPDATE``) by the caller."""
    return _store(pin, after_failure(lock_state(pin), policy, at))


def count_success(pin: StaffPin) -> PinLockState:
    return _store(pin, after_success(lock_state(pin)))


def reset(pin: StaffPin) -> PinLockState:
    """A manager's unlock or a new PIN: back to level 0."""
    return _store(pin, after_unlock())
