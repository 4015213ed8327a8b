"""Change stamps for gap-free pull.

Every synced row carries ``change_txid``: on PostgreSQL the id of the transaction that
last wrote it, on SQLite a commit-ordered counter (SQLite runs one writer at a time).
A pull only hands out rows below the *horizon*: on PostgreSQL the oldest transaction
still running in this database, so a transaction that started early but commits late
is never skipped: it holds the horizon back until it commits. Transactions of other
databases of the same cluster are left out (``pg_snapshot_xmin`` alone is cluster-wide:
a long writer elsewhere held back every pull here).
"""

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Horizon:
    """``value``: every row with a smaller change_txid is committed and visible.
    ``caught_up``: no other writing transaction holds it back, so a pull ending here
    has everything committed so far."""

    value: int
    caught_up: bool


# The oldest transaction still running *in this database*: a snapshot's running ids
# (xip), less those positively seen writing in another database of the cluster (a
# shared PostgreSQL, or the topology's other databases), whose commits cannot touch
# our rows. pg_stat_activity shows a backend's 32-bit xid: an xip entry is matched on
# its low 32 bits (every running id lies within 2^31 of the current one, so they are
# unique). An id not found there (a prepared transaction, a backend that just ended)
# is kept: the horizon may wait a moment longer, never hand out a row too early.
_PG_HORIZON = text(
    """
    WITH s AS (SELECT pg_current_snapshot() AS snap),
    elsewhere AS (
        SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
    ),
    running AS (
        SELECT x::text::bigint AS xid FROM s, pg_snapshot_xip(s.snap) AS x
        WHERE x::text::bigint % 4294967296 NOT IN (SELECT xid FROM elsewhere)
    )
    SELECT pg_snapshot_xmax(s.snap)::text::bigint,
           pg_current_xact_id_if_assigned()::text::bigint,
           (SELECT min(xid) FROM running)
    FROM s
    """
)


def horizon(session: Session) -> Horizon:
    if _is_postgres(session):
        xmax, own, oldest_other = session.execute(_PG_HORIZON).one()
        candidates = [int(v) for v in (own, oldest_other) if v is not None]
        # Alone: no other transaction of this database is running (our own, if we
        # write, holds nothing back from us).
        return Horizon(min([*candidates, int(xmax)]), oldest_other is None)
    insert_ignore(session, SyncClock, {"id": 1, "value": 0})
    value = session.execute(text("SELECT value + 1 FROM sync_clock WHERE id = 1")).scalar_one()
    return Horizon(int(value), True)  # one writer at a time: nothing can be in flight


def install_change_stamps(factory: sessionmaker[Session]) -> None:
    """Only the server's sessions stamp changes (a test may run a terminal in-process)."""
    event.listen(factory, "before_flush", _stamp)
    event.listen(factory, "after_transaction_end", _forget)


def change_stamp(session: Session) -> Any:
    """This transaction's change stamp, for rows written with Core statements."""
    return _pg_txid() if _is_postgres(session) else _sqlite_txid(session)


def _stamp(session: Session, _ctx: Any, _instances: Any) -> None:
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, TRACKED)]
    if not changed:
        return
    stamp = change_stamp(session)
    for obj in changed:
        obj.change_txid = stamp


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_TXID_KEY, None)
