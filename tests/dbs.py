"""Test databases: one migrated template per backend and session, a fresh copy per test."""

import os
import shutil
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from sync_server.migrate import upgrade

# Either spelling works: SQLAlchemy's ``postgresql+psycopg://`` or libpq's ``postgresql://``.
_ADMIN: URL = make_url(
    os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
)
PG_ADMIN_URL = _ADMIN.render_as_string(hide_password=True)  # for messages only


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_reachable() -> bool:
    try:
        with psycopg.connect(_libpq(_ADMIN), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def database_url(database: str) -> str:
    """The SQLAlchemy URL of a database on the test server."""
    url = _ADMIN.set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    with psycopg.connect(_libpq(_ADMIN), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


class PgTemplates:
    """CREATE DATABASE … TEMPLATE copies a migrated database in tens of milliseconds,
    far cheaper than running the migrations for every test."""

    def __init__(self) -> None:
        self.template: str | None = None

    def fresh(self) -> tuple[str, str]:
        """Create a migrated database; return its name and URL."""
        if self.template is None:
            name = f"loyalty_tpl_{uuid.uuid4().hex[:10]}"
            _admin(f'CREATE DATABASE "{name}"')
            try:
                upgrade(database_url(name))
            except BaseException:
                self.drop(name)
                raise
            self.template = name
        name = f"loyalty_t_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name, database_url(name)

    @staticmethod
    def drop(name: str) -> None:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self.template is not None:
            self.drop(self.template)
            self.template = None


class SqliteTemplates:
    """The SQLite twin: migrate one file per session, copy it per test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template: Path | None = None

    def fresh(self, target: Path) -> str:
        if self.template is None:
            template = self.folder / "template.db"
            upgrade(f"sqlite:///{template}")
            self.template = template
        # The migration engine is disposed, so the WAL is checkpointed into the main file.
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"
