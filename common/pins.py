"""Staff PIN policy: format, argon2id hashing and lockout, shared by both sides."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PIN_PATTERN = re.compile(r"^\d{4,8}$")

# OWASP's argon2id floor (19 MiB, t=2): ~18 ms a verify here, so a terminal can afford
# one verify per entry but not one per staff member (see design §7).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def is_valid_pin_format(pin: str) -> bool:
    return bool(PIN_PATTERN.match(pin))


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_attempts: int = 5
    lockout_minutes: int = 30


@dataclass(frozen=True, slots=True)
class PinLockState:
    failed_attempts: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def after_failure(state: PinLockState, policy: LockoutPolicy, now: datetime) -> PinLockState:
    """Count a wrong entry; the attempt that reaches the limit locks the PIN."""
    if state.locked_until is not None and now >= state.locked_until:
        state = PinLockState()
    attempts = state.failed_attempts + 1
    if attempts >= policy.max_attempts:
        return PinLockState(attempts, now + timedelta(minutes=policy.lockout_minutes))
    return PinLockState(attempts, state.locked_until)


def after_success() -> PinLockState:
    return PinLockState()
