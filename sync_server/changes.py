"""Change stamps for gap-free pull.

Every synced row carries ``change_txid``: on PostgreSQL the id of the transaction that
last wrote it, on SQLite a commit-ordered counter (SQLite runs one writer at a time).
A pull only hands out rows below the *horizon*: on PostgreSQL the oldest transaction
still running (``pg_snapshot_xmin``), so a transaction that started early but commits
late is never skipped: it holds the horizon back until it commits.
"""

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Text, cast, event, func, text, update
from sqlalchemy.orm import Session, sessionmaker

from sync_server.models import Card, Customer, LedgerEntry, StaffPin
from sync_server.models.sync import CardAlias, SyncClock, SyncOp
from sync_server.repositories.upsert import insert_ignore

TRACKED: tuple[type[Any], ...] = (Card, Customer, LedgerEntry, StaffPin, SyncOp, CardAlias)
_TXID_KEY = "loyalty.change_txid"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _pg_txid() -> ColumnElement[int]:
    return cast(cast(func.pg_current_xact_id(), Text), BigInteger)


def _sqlite_txid(session: Session) -> int:
    """One tick per transaction, taken under SQLite's write lock (BEGIN IMMEDIATE)."""
    cached = session.info.get(_TXID_KEY)
    if cached is not None:
        return int(cached)
    insert_ignore(session, SyncClock, {"id": 1, "value": 0})
    value = session.execute(
        update(SyncClock)
        .where(SyncClock.id == 1)
        .values(value=SyncClock.value + 1)
        .returning(SyncClock.value)
    ).scalar_one()
    session.info[_TXID_KEY] = value
    return int(value)


def horizon(session: Session) -> int:
    """Every row with a smaller change_txid is committed and visible to this session."""
    if _is_postgres(session):
        return int(
            session.execute(
                text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            ).scalar_one()
        )
    insert_ignore(session, SyncClock, {"id": 1, "value": 0})
    return int(session.execute(text("SELECT value + 1 FROM sync_clock WHERE id = 1")).scalar_one())


def install_change_stamps(factory: sessionmaker[Session]) -> None:
    """Only the server's sessions stamp changes (a test may run a terminal in-process)."""
    event.listen(factory, "before_flush", _stamp)
    event.listen(factory, "after_transaction_end", _forget)


def _stamp(session: Session, _ctx: Any, _instances: Any) -> None:
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, TRACKED)]
    if not changed:
        return
    stamp: Any = _pg_txid() if _is_postgres(session) else _sqlite_txid(session)
    for obj in changed:
        obj.change_txid = stamp


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_TXID_KEY, None)
