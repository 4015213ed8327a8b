"""The sync protocol, server side: push.

A terminal's batch is applied in one database transaction (sync_server/sync/push_batch.py):
claims of (terminal, op_id), card locks, rule checks, ledger writes and the stored
outcomes commit together or not at all, so a replay finds the claim and gets the
stored outcome back. Wrong PINs typed offline are counted after the ops, then the PINs
the ops confirmed forgive their row of mistakes (sync_server/sync/push_pins.py), in the same
transaction: a push is answered in full with everything committed, or not at all.

Pull lives in sync_server/sync/pull.py.
"""

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sync_server.actor import RequestMeta, StoreActor
from sync_server.config import Settings
from sync_server.sync import change_notices, push_pins
from sync_server.sync.messages import PushRequest, PushResponse
from sync_server.sync.push_batch import apply_batch
from sync_server.sync.push_records import OPERATION, effective_time

__all__ = ["OPERATION", "effective_time", "push"]

T = TypeVar("T")
# deadlock detected (none expected: the lock order is fixed), serialization failure, a
# card that appeared after the batch's up-front lock and was busy (NOWAIT)
_RETRYABLE = {"40P01", "40001", "55P03"}
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
            push_pins.count_failure(session, actor, ev, request, settings, now)
            for ev in request.pin_failures
        ]
        push_pins.count_successes(session, actor, request, results, settings, now)
        if request.pin_failures or any(r.status != "duplicate" for r in results):
            change_notices.touched(session, actor.merchant_id)  # its SQL bypasses the ORM
        return PushResponse(server_time=now, results=results, pin_failures=failures)

    return _in_transaction(factory, work)


def _in_transaction(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction; one that failed on a lock runs again from the start.

    A push takes its locks in one fixed order (push_batch.py), so it never waits on a
    card while holding a later lock: a card it finds only late is taken with NOWAIT,
    and a busy one fails the transaction, which rolled back whole and is safe to run
    again (it then locks that card in order)."""
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
