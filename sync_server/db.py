"""Engines and sessions; SQLite gets WAL and write transactions that begin IMMEDIATE."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        parsed, connect_args = _prepare_threshold(parsed)
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _sqlite_serialized_writes(engine)
        return engine
    return create_engine(parsed, **kwargs)


def _prepare_threshold(url: URL) -> tuple[URL, dict[str, Any]]:
    """``?prepare_threshold=none`` in the URL: psycopg prepares no statement (it does
    after 5 runs of one). PgBouncer in transaction mode before 1.21 (Debian 12 has 1.18)
    hands the next transaction another server connection, where the statement is not."""
    value = url.query.get("prepare_threshold")
    if not isinstance(value, str):
        return url, {}
    threshold = None if value.lower() == "none" else int(value)
    return url.difference_update_query(["prepare_threshold"]), {"prepare_threshold": threshold}


def _sqlite_serialized_writes(engine: Engine) -> None:
    """SQLite has no row locks: take the write lock at BEGIN so check-then-write is atomic."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    from sync_server.ledger_chain import install_sealing
    from sync_server.sync.changes import install_change_stamps  # models import this module

    factory = sessionmaker(engine, expire_on_commit=False, autoflush=True)
    install_change_stamps(factory)
    install_sealing(factory)
    return factory


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The request boundary: commit when the handler returns, roll back when it raises."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
