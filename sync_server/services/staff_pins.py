"""Staff PINs: who confirmed an operation, checked after the card's row lock."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from common.codes import Reason
from common.outcome import Rejected, reject
from common.pins import (
    LockoutPolicy,
    PinLockState,
    after_failure,
    attempts_left,
    hash_pin,
    verify_pin,
)
from sync_server.models import StaffPin, Store
from sync_server.repositories import pins as repo
from sync_server.services import pin_lock


@dataclass(frozen=True, slots=True)
class PinEntry:
    """A PIN typed at the till, checked here; naming the staff member costs one verify."""

    pin: str
    staff_pin_id: int | None = None


@dataclass(frozen=True, slots=True)
class PinConfirmed:
    """A PIN a paired terminal already checked offline; only its id travels."""

    staff_pin_id: int


StaffProof = PinEntry | PinConfirmed


def authenticate(
    session: Session, store_id: int, proof: StaffProof, policy: LockoutPolicy, now: datetime
) -> StaffPin | Rejected:
    if isinstance(proof, PinConfirmed):
        pin = repo.get(session, store_id, proof.staff_pin_id)
        if pin is None:
            return reject(Reason.STAFF_PIN_NOT_FOUND)
        # A lock from other tills' failures does not undo a PIN this till checked; a
        # PIN the manager switched off does.
        return pin if pin.is_active else reject(Reason.STAFF_PIN_INVALID, inactive=True)
    if proof.staff_pin_id is not None:
        return _check_named(session, store_id, proof, policy, now)
    return _check_anonymous(session, store_id, proof.pin, policy, now)


def _check_named(
    session: Session, store_id: int, proof: PinEntry, policy: LockoutPolicy, now: datetime
) -> StaffPin | Rejected:
    assert proof.staff_pin_id is not None
    pin = repo.lock(session, store_id, proof.staff_pin_id)
    if pin is None:
        return reject(Reason.STAFF_PIN_NOT_FOUND)
    state = pin_lock.lock_state(pin)
    if state.is_locked(now):
        return _locked(state)
    if pin.is_active and verify_pin(pin.pin_hash, proof.pin):
        pin_lock.count_success(pin)
        return pin
    failed = pin_lock.count_failure(pin, policy, now)
    if failed.is_locked(now):
        return _locked(failed)
    return _invalid(failed, policy)


def _check_anonymous(
    session: Session, store_id: int, pin_text: str, policy: LockoutPolicy, now: datetime
) -> StaffPin | Rejected:
    """Without a staff id every active PIN is tried; misses count on the store (its
    two columns: a lockout there is not progressive, see docs/security.md row 3)."""
    store = session.get_one(Store, store_id)
    store_state = PinLockState(store.anonymous_pin_failures, store.anonymous_pin_locked_until)
    if store_state.is_locked(now):
        return _locked(store_state)
    for candidate in repo.active_for_store(session, store_id):
        if verify_pin(candidate.pin_hash, pin_text):
            pin = repo.lock(session, store_id, candidate.id)
            assert pin is not None
            state = pin_lock.lock_state(pin)
            if state.is_locked(now):
                return _locked(state)
            pin_lock.count_success(pin)
            return pin
    store = repo.lock_store(session, store_id)
    failed = after_failure(
        PinLockState(store.anonymous_pin_failures, store.anonymous_pin_locked_until), policy, now
    )
    store.anonymous_pin_failures = failed.failed_attempts
    store.anonymous_pin_locked_until = failed.locked_until
    if failed.is_locked(now):
        return _locked(failed)
    return _invalid(failed, policy)


def _locked(state: PinLockState) -> Rejected:
    assert state.locked_until is not None
    return reject(Reason.STAFF_PIN_LOCKED, locked_until=state.locked_until.isoformat())


def _invalid(state: PinLockState, policy: LockoutPolicy) -> Rejected:
    return reject(Reason.STAFF_PIN_INVALID, attempts_remaining=attempts_left(state, policy))


def is_pin_taken(session: Session, store_id: int, pin_text: str, except_id: int | None) -> bool:
    """Two staff of one store never share a PIN, or anonymous entry would be ambiguous."""
    return any(
        verify_pin(p.pin_hash, pin_text)
        for p in repo.list_for_store(session, store_id)
        if p.id != except_id
    )


def new_row(
    merchant_id: int, store_id: int, name: str, pin_text: str, staff_id: str | None = None
) -> StaffPin:
    """A new active PIN with its hash, not yet checked against the store's other PINs
    (``create`` checks; a bulk seeder that keeps its PINs distinct need not)."""
    return StaffPin(
        merchant_id=merchant_id,
        store_id=store_id,
        name=name,
        staff_id=staff_id,
        pin_hash=hash_pin(pin_text),
        failed_attempts=0,
        is_active=True,
    )


def create(
    session: Session,
    merchant_id: int,
    store_id: int,
    name: str,
    pin_text: str,
    staff_id: str | None,
) -> StaffPin | Rejected:
    if is_pin_taken(session, store_id, pin_text, None):
        return reject(Reason.STAFF_PIN_DUPLICATE)
    pin = new_row(merchant_id, store_id, name, pin_text, staff_id)
    session.add(pin)
    session.flush()
    return pin


def change_pin(session: Session, pin: StaffPin, pin_text: str) -> Rejected | None:
    if is_pin_taken(session, pin.store_id, pin_text, pin.id):
        return reject(Reason.STAFF_PIN_DUPLICATE)
    pin.pin_hash = hash_pin(pin_text)
    pin_lock.reset(pin)
    return None


def unlock(pin: StaffPin) -> None:
    pin_lock.reset(pin)


def delete(pin: StaffPin, now: datetime) -> None:
    pin.deleted_at = now
    pin.is_active = False
