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
from sync_server.sync.epoch import current_epoch
from sync_server.sync.feed import News
from sync_server.sync.pull import ENTITIES, Cursor


def news(session: Session, actor: StoreActor, cursor_text: str | None, now: datetime) -> News:
    """What the till holding ``cursor_text`` misses (a held wait's check)."""
    lo = position(session, actor, cursor_text, now)
    return News.PULLABLE if lo is None else news_since(session, actor, lo)[0]


def position(
    session: Session, actor: StoreActor, cursor_text: str | None, now: datetime
) -> int | None:
    """The change stamp a till's cursor has pulled up to; None when it must pull anyway
    (a first sync, a resync, a round left half done)."""
    assert actor.terminal_id is not None
    if not cursor_text:
        return None
    key = session.get_one(Terminal, actor.terminal_id).cursor_key
    cursor, reset = Cursor.decode(
        cursor_text,
        actor.terminal_id,
        key,
        now.timestamp(),
        horizon(session).value,
        current_epoch(session),  # a cursor of a restored database: pull at once
    )
    if reset or cursor.hi is not None:
        return None
    return cursor.lo


def stream_start(
    session: Session, actor: StoreActor, cursor_text: str | None, now: datetime
) -> tuple[int, News]:
    """Where a till's stream starts: the stamp it looks from next, and what the till's
    cursor misses now (a stream opens with this one check, in a short transaction of
    its own after the authentication's)."""
    lo = position(session, actor, cursor_text, now)
    if lo is None:
        return horizon(session).value, News.PULLABLE
    news, present = news_since(session, actor, lo)
    return (present if news is News.PULLABLE else lo), news


def news_since(session: Session, actor: StoreActor, lo: int) -> tuple[News, int]:
    """(whether anything the till sees changed at or past stamp ``lo``, the horizon now):
    a stream remembers the horizon of its last ``changed`` and asks from there."""
    present = horizon(session)
    first = session.scalar(_first_change(actor, lo))
    if first is None:
        return News.NOTHING, present.value
    return (News.PULLABLE if first < present.value else News.BLOCKED), present.value


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
