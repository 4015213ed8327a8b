"""Staff PIN policy: format, argon2id hashing and lockout, shared by both sides.

The lockout is progressive so that a 4-digit PIN cannot be walked by patience: every
lockout since a manager's unlock lasts twice the last (docs/security.md, row 3, has the
arithmetic: at most 15 guesses a day and 45 a week at the default 5 / 30 minutes).
A correct PIN resets the count of wrong entries in a row, never the level; wrong entries
of one day also count together, successes or not, or a guesser could slip a few
guesses between each of the owner's own uses."""

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# ASCII digits only (\d also takes other scripts' digits); the pattern is shared with
# the server's schema, and checked here with fullmatch ($ alone allows a trailing "\n").
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
MAX_LOCKOUT = timedelta(days=365)
DAY = timedelta(days=1)

# OWASP's argon2id floor (19 MiB, t=2): ~18 ms a verify here, so a terminal can afford
# one verify per entry but not one per staff member (see design §7).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def is_valid_pin_format(pin: str) -> bool:
    return PIN_PATTERN.fullmatch(pin) is not None


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """``max_attempts`` wrong entries in a row, or twice that in a day, lock the PIN."""

    max_attempts: int = 5
    lockout_minutes: int = 30

    @property
    def daily_limit(self) -> int:
        return 2 * self.max_attempts

    def lockout(self, level: int) -> timedelta:
        """The ``level``-th lockout since an unlock: the merchant's minutes, doubled each
        time, capped at a year (a manager's unlock is the way out long before)."""
        minutes = self.lockout_minutes * 2 ** min(max(level - 1, 0), 40)
        return timedelta(minutes=min(minutes, MAX_LOCKOUT // timedelta(minutes=1)))


@dataclass(frozen=True, slots=True)
class PinLockState:
    """One PIN's lock: wrong entries in a row, the lock, how many lockouts since a
    manager's unlock, and the wrong entries of the day that began at ``daily_since``."""

    failed_attempts: int = 0
    locked_until: datetime | None = None
    lockout_level: int = 0
    daily_failures: int = 0
    daily_since: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def lock_over(self, now: datetime) -> bool:
        return self.locked_until is not None and now >= self.locked_until


def after_failure(state: PinLockState, policy: LockoutPolicy, at: datetime) -> PinLockState:
    """Count a wrong entry typed at ``at`` (maybe pushed late by an offline till).

    The entry that completes a row of ``max_attempts``, and every entry past the daily
    limit, is one more lockout; a late entry never shortens a lock already set."""
    in_a_row = 1 if state.lock_over(at) else state.failed_attempts + 1
    same_day = state.daily_since is not None and at < state.daily_since + DAY
    daily, since = (state.daily_failures + 1, state.daily_since) if same_day else (1, at)
    locked_until = None if state.lock_over(at) else state.locked_until
    level = state.lockout_level
    if in_a_row % policy.max_attempts == 0 or daily >= policy.daily_limit:
        level += 1
        until = at + policy.lockout(level)
        locked_until = until if locked_until is None else max(locked_until, until)
    return PinLockState(in_a_row, locked_until, level, daily, since)


def after_success(state: PinLockState) -> PinLockState:
    """The owner typed it right: the row of mistakes is forgiven, the level and the
    day's count are not (an attacker never succeeds, so only they pay for them)."""
    return replace(state, failed_attempts=0)


def after_unlock() -> PinLockState:
    """A manager's unlock (or a new PIN) is the only way back to level 0."""
    return PinLockState()


def attempts_left(state: PinLockState, policy: LockoutPolicy) -> int:
    """Wrong entries before the next lockout, for the cashier's warning."""
    in_a_row = policy.max_attempts - state.failed_attempts % policy.max_attempts
    return max(0, min(in_a_row, policy.daily_limit - state.daily_failures))
