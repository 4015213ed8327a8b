"""What a push says about staff PINs: wrong PINs typed at the till (each event counted
once) and PINs it checked right (ops it confirmed). Both go through the same policy as
a PIN typed on the store API (``common/pins.py`` via ``services/pin_lock.py``).

A push comes from one till, whose events are in its own order: a confirmed op forgives
the row of mistakes only if it came after every wrong PIN of the same push. A wrong PIN
pushed late by another till still counts: late news only ever makes a lock stricter."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from sync_server.actor import StoreActor
from sync_server.config import Settings
from sync_server.repositories import pins as pin_repo
from sync_server.repositories import sync_ops as repo
from sync_server.services import pin_lock, purge
from sync_server.services.programs import lockout_policy
from sync_server.sync.messages import OpOutcome, PinFailure, PinFailureOutcome, PushRequest
from sync_server.sync.push_records import effective_time


def count_failure(
    session: Session,
    actor: StoreActor,
    event: PinFailure,
    request: PushRequest,
    settings: Settings,
    now: datetime,
) -> PinFailureOutcome:
    """A wrong PIN typed at a till counts toward the lockout of every till of the store."""
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
        pin_lock.count_failure(pin, lockout_policy(session, actor.merchant_id, settings), when)
        purge.pin_failure_events(session, actor.terminal_id, now, settings.offline_max_age)
    return PinFailureOutcome(
        event_id=event.event_id,
        status="counted" if fresh else "duplicate",
        locked_until=pin.locked_until,
    )


def count_successes(
    session: Session,
    actor: StoreActor,
    request: PushRequest,
    results: Sequence[OpOutcome],
    settings: Settings,
    now: datetime,
) -> None:
    """Each PIN that confirmed a new op after the push's last wrong PIN: its row of
    mistakes is forgiven (a replayed op is old news and forgives nothing)."""

    def when(client_time: datetime) -> datetime:
        return effective_time(client_time, request.sent_at, now, settings.offline_max_age)

    last_failure = max((when(ev.occurred_at) for ev in request.pin_failures), default=None)
    replayed = {outcome.op_id for outcome in results if outcome.status == "duplicate"}
    confirmed = {
        op.staff_pin_id
        for op in request.ops
        if op.staff_pin_id is not None
        and op.op_id not in replayed
        and (last_failure is None or when(op.client_time) > last_failure)
    }
    for pin_id in sorted(confirmed):  # id order, like every other PIN lock
        pin = pin_repo.lock(session, actor.store_id, pin_id)
        if pin is not None and pin.failed_attempts:
            pin_lock.count_success(pin)
