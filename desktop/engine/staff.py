"""Staff PINs at the till: the cashier picks their name first, so one entry costs one
argon2id verify whatever the number of staff; wrong entries lock locally at once, by the
same progressive policy as the server's (common/pins.py), and are queued for the server,
which counts them for every till of the store; a right PIN forgives the row of mistakes
here, and on the server when the op it confirmed is pushed."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from common.codes import Reason
from common.outcome import Rejected, reject
from common.pins import (
    LockoutPolicy,
    PinLockState,
    after_failure,
    after_success,
    attempts_left,
    is_valid_pin_format,
    verify_pin,
)
from desktop.engine.local_store import LocalStore


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    name: str
    is_locked: bool
    locked_until: datetime | None = None


def staff(store: LocalStore, now: datetime) -> list[StaffMember]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, name, locked_until FROM staff_pins WHERE is_active = 1 ORDER BY name")
        ).all()
    return [
        StaffMember(
            r.id,
            r.name,
            r.locked_until is not None and datetime.fromisoformat(r.locked_until) > now,
            _when(r.locked_until),
        )
        for r in rows
    ]


def check_pin(store: LocalStore, staff_pin_id: int, pin: str, now: datetime) -> int | Rejected:
    """The staff id on success; a wrong PIN is counted here and queued for the server."""
    with store.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT pin_hash, is_active, failed_attempts, locked_until, lockout_level, "
                "daily_failures, daily_since FROM staff_pins WHERE id = :id"
            ),
            {"id": staff_pin_id},
        ).first()
    if row is None or not row.is_active:
        return reject(Reason.STAFF_PIN_NOT_FOUND)
    state = PinLockState(
        row.failed_attempts,
        _when(row.locked_until),
        row.lockout_level or 0,
        row.daily_failures or 0,
        _when(row.daily_since),
    )
    if state.is_locked(now):
        return _locked(state)
    # Anything but 4-8 ASCII digits is a wrong PIN, counted as one, never hashed (a lone
    # surrogate typed or pasted cannot even be encoded).
    if is_valid_pin_format(pin) and verify_pin(row.pin_hash, pin):
        _save(store, staff_pin_id, after_success(state), None)
        return staff_pin_id
    policy = _policy(store)
    failed = after_failure(state, policy, now)
    _save(store, staff_pin_id, failed, now)
    if failed.is_locked(now):
        return _locked(failed)
    return reject(Reason.STAFF_PIN_INVALID, attempts_remaining=attempts_left(failed, policy))


def _locked(state: PinLockState) -> Rejected:
    assert state.locked_until is not None
    return reject(Reason.STAFF_PIN_LOCKED, locked_until=state.locked_until.isoformat())


def _policy(store: LocalStore) -> LockoutPolicy:
    settings = store.get_meta("settings") or {}
    return LockoutPolicy(
        max_attempts=int(settings.get("pin_lockout_attempts", 5)),
        lockout_minutes=int(settings.get("pin_lockout_minutes", 30)),
    )


def _save(
    store: LocalStore, staff_pin_id: int, state: PinLockState, failed_at: datetime | None
) -> None:
    with store.transaction() as conn:
        conn.execute(
            text(
                "UPDATE staff_pins SET failed_attempts = :n, locked_until = :u, "
                "lockout_level = :level, daily_failures = :daily, daily_since = :since "
                "WHERE id = :id"
            ),
            {
                "n": state.failed_attempts,
                "u": _iso(state.locked_until),
                "level": state.lockout_level,
                "daily": state.daily_failures,
                "since": _iso(state.daily_since),
                "id": staff_pin_id,
            },
        )
        if failed_at is not None:
            conn.execute(
                text(
                    "INSERT INTO pin_failures (event_id, staff_pin_id, occurred_at) "
                    "VALUES (:e, :p, :t)"
                ),
                {"e": str(uuid.uuid4()), "p": staff_pin_id, "t": failed_at.isoformat()},
            )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
