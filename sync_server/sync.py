"""The sync protocol, server side: push.

A terminal's batch is applied in one database transaction (sync_server/push_batch.py):
claims of (terminal, op_id), card locks, rule checks, ledger writes and the stored
outcomes commit together or not at all, so a replay finds the claim and gets the
stored outcome back. Wrong PINs typed offline are counted after the ops, in the same
transaction: a push is answered in full with everything committed, or not at all.

Pull lives in sync_server/pull.py.
"""

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from common.pins import PinLockState, after_failure
from sync_server.actor import RequestMeta, StoreActor
from sync_server.api.schemas.sync import (
    PinFailure,
    PinFailureOutcome,
    PushRequest,
    PushResponse,
)
from sync_server.config import Settings
from sync_server.push_batch import apply_batch
from sync_server.push_records import OPERATION, effective_time
from sync_server.repositories import pins as pin_repo
from sync_server.repositories import sync_ops as repo
from sync_server.services.programs import lockout_policy

__all__ = ["OPERATION", "effective_time", "push"]

T = TypeVar("T")
_RETRYABLE = {"40P01", "40001"}  # deadlock detected, serialization failure
_ATTEMPTS = 5


def push(
    factory: sessionmaker[Session],
    actor: StoreActor,
    request: PushRequest,
    meta: RequestMeta,
    settings: Settings,
    now: datetime,
) -> PushResponse:
    """The ops, then the wrong PINs typed offline, in one transaction: the answer is
    either an error with nothing committed, or every outcome with all of it committed."""

    def work(session: Session) -> PushResponse:
        results = apply_batch(session, actor, request, meta, settings, now)
        failures = [
            _pin_failure(session, actor, ev, request, settings, now) for ev in request.pin_failures
        ]
        return PushResponse(server_time=now, results=results, pin_failures=failures)

    return _in_transaction(factory, work)


def _in_transaction(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction; a deadlock victim runs again from the start.

    A batch locks its cards in id order, but an enrollment or a merge may lock a row
    after that; PostgreSQL then breaks the rare cycle by failing one transaction,
    which rolled back whole and is safe to run again."""
    for attempt in range(1, _ATTEMPTS + 1):
        with factory() as session:
            try:
                result = work(session)
                session.commit()
                return result
            except OperationalError as exc:
                session.rollback()
                if getattr(exc.orig, "sqlstate", None) not in _RETRYABLE or attempt == _ATTEMPTS:
                    raise
            except BaseException:
                session.rollback()
                raise
        time.sleep(random.uniform(0, 0.02 * attempt))  # noqa: S311 - jitter, not secrecy
    raise AssertionError("unreachable")


def _pin_failure(
    session: Session,
    actor: StoreActor,
    event: PinFailure,
    request: PushRequest,
    settings: Settings,
    now: datetime,
) -> PinFailureOutcome:
    """A wrong PIN typed offline counts toward the lockout of every till of the store."""
    assert actor.terminal_id is not None
    when = effective_time(event.occurred_at, request.sent_at, now, settings.offline_max_age)
    pin = pin_repo.lock(session, actor.store_id, event.staff_pin_id)
    if pin is None:
        return PinFailureOutcome(event_id=event.event_id, status="rejected")
    fresh = repo.claim_pin_failure(
        session,
        {
            "terminal_id": actor.terminal_id,
            "event_id": str(event.event_id),
            "staff_pin_id": pin.id,
            "occurred_at": when,
            "received_at": now,
        },
    )
    if fresh:
        policy = lockout_policy(session, actor.merchant_id, settings)
        state = after_failure(PinLockState(pin.failed_attempts, pin.locked_until), policy, when)
        pin.failed_attempts, pin.locked_until = state.failed_attempts, state.locked_until
    return PinFailureOutcome(
        event_id=event.event_id,
        status="counted" if fresh else "duplicate",
        locked_until=pin.locked_until,
    )
