"""Keeping attacker-grown tables bounded without a cron job.

Every write that can add a row to ``throttles``, ``pin_failure_events`` or
``pairing_codes`` also deletes up to ``purge.BATCH`` dead ones in the same transaction:
a table cannot gain more dead rows than its writes remove, so it holds the live rows
plus at most one batch, whatever the number of server processes (the rows decide, not
any process's memory). Live rows are bounded by what each budget admits in its window."""

from datetime import datetime, timedelta

from sqlalchemy import and_
from sqlalchemy.orm import Session

from sync_server.models.sync import PairingCode, PinFailureEvent, Throttle
from sync_server.repositories.purge import delete_some

# A till keeps this many of its latest PIN-failure event ids; an honest till has a few.
EVENTS_PER_TERMINAL = 1000


def throttles(session: Session, now: datetime, longest_window: timedelta) -> int:
    """Counters whose window ended count nothing any more (``throttle.blocked_for``)."""
    cutoff = now - longest_window
    return delete_some(session, Throttle.key, Throttle.window_start <= cutoff, Throttle.key)


def pin_failure_events(
    session: Session, terminal_id: int, now: datetime, retention: timedelta
) -> int:
    """An event id is kept while its till may still resend it (the offline window), and
    at most ``EVENTS_PER_TERMINAL`` per till; a forgotten event pushed again counts again,
    which only makes a lock stricter."""
    old = delete_some(
        session,
        PinFailureEvent.id,
        PinFailureEvent.received_at < now - retention,
        PinFailureEvent.received_at,
    )
    return old + delete_some(
        session,
        PinFailureEvent.id,
        PinFailureEvent.terminal_id == terminal_id,
        PinFailureEvent.id.desc(),
        offset=EVENTS_PER_TERMINAL,
    )


def pairing_codes(session: Session, now: datetime) -> int:
    """A code never used and past its expiry opens nothing; used ones name their till."""
    unused = and_(PairingCode.used_at.is_(None), PairingCode.expires_at <= now)
    return delete_some(session, PairingCode.id, unused, PairingCode.expires_at)
