"""Whether a till's pull cursor misses anything: the check a held request makes before
it waits, and again after each notification, so that neither a change committed just
before the wait nor a notification about rows the till already has is mistaken.

One statement: the smallest change stamp at or past the cursor's position in each
synced entity the till sees (each an index probe on the pull index). Below the horizon
a pull would hand it out; at or past it, a writer still running holds it back.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from sync_server.actor import StoreActor
from sync_server.models.sync import Terminal
from sync_server.sync.changes import horizon
from sync_server.sync.feed import News
from sync_server.sync.pull import ENTITIES, Cursor


def news(session: Session, actor: StoreActor, cursor_text: str | None, now: datetime) -> News:
    assert actor.terminal_id is not None
    if not cursor_text:
        return News.PULLABLE  # a first sync
    key = session.get_one(Terminal, actor.terminal_id).cursor_key
    present = horizon(session)
    cursor, reset = Cursor.decode(
        cursor_text, actor.terminal_id, key, now.timestamp(), present.value
    )
    if reset or cursor.hi is not None:  # a resync, or a round left half done
        return News.PULLABLE
    first = session.scalar(_first_change(actor, cursor.lo))
    if first is None:
        return News.NOTHING
    return News.PULLABLE if first < present.value else News.BLOCKED


def _first_change(actor: StoreActor, lo: int) -> Any:
    firsts = union_all(
        *(
            select(func.min(e.model.change_txid).label("stamp")).where(
                e.scope(actor), e.model.change_txid >= lo
            )
            for e in ENTITIES
        )
    ).subquery()
    return select(func.min(firsts.c.stamp))
