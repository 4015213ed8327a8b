"""Deleting rows an attacker can multiply, a bounded batch at a time.

Each delete picks at most ``batch`` rows and, on PostgreSQL, skips rows another
transaction holds (``FOR UPDATE SKIP LOCKED``): two server processes purging at once
neither wait on each other nor deadlock with a request counting on one of those rows."""

from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

BATCH = 100


def delete_some(
    session: Session,
    key: InstrumentedAttribute[Any],
    where: ColumnElement[bool],
    order: ColumnElement[Any] | InstrumentedAttribute[Any],
    offset: int = 0,
    batch: int = BATCH,
) -> int:
    """Delete up to ``batch`` rows matching ``where``, first in ``order`` after ``offset``."""
    doomed = (
        select(key)
        .where(where)
        .order_by(order)
        .offset(offset)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        delete(key.class_).where(key.in_(doomed)),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)
