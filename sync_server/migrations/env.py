"""Alembic environment: the same engine setup as the server, one comparison setup
shared with the drift test."""

from alembic import context
from sqlalchemy import Connection

from sync_server.db import make_engine
from sync_server.migrations_compare import COMPARE_OPTIONS
from sync_server.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, drop, rename): with foreign keys
            # on, dropping a table other rows point at fails. SQLite ignores the pragma
            # inside a transaction, so it is set on the driver's connection before the
            # migration's transaction begins, and the keys are checked before commit.
            _sqlite_foreign_keys(connection, on=False)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            **COMPARE_OPTIONS,
        )
        try:
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _no_dangling_keys(connection)
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)
    engine.dispose()


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _no_dangling_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")


run_migrations_online()
