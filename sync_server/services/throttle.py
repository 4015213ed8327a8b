"""Fixed-window failure counters in the database, so every worker process shares them.

Rows are keyed by what is being guessed from (``login-ip:<ip>``, ``pair:<ip>``…); a
check takes the row lock, so concurrent guesses from one key are counted one by one."""

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync_server.models.sync import Throttle
from sync_server.repositories.upsert import insert_ignore


def _locked(session: Session, key: str, now: datetime, window: timedelta) -> Throttle:
    insert_ignore(session, Throttle, {"key": key, "window_start": now, "count": 0})
    row = session.scalars(
        select(Throttle)
        .where(Throttle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if now - row.window_start >= window:
        row.window_start, row.count = now, 0
    return row


def blocked_for(
    session: Session, key: str, limit: int, window: timedelta, now: datetime
) -> timedelta | None:
    """How long until the key may try again, or None; a key never charged writes nothing."""
    row = session.scalars(
        select(Throttle)
        .where(Throttle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None or row.count < limit or now - row.window_start >= window:
        return None
    return row.window_start + window - now


def count_failure(session: Session, key: str, window: timedelta, now: datetime) -> None:
    _locked(session, key, now, window).count += 1


def clear(session: Session, key: str) -> None:
    session.execute(delete(Throttle).where(Throttle.key == key))
