"""Test databases: one migrated template per backend and session, a fresh copy per test."""

import os
import shutil
import uuid
from pathlib import Path

import psycopg

from sync_server.migrate import upgrade

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


class PgTemplates:
    """CREATE DATABASE … TEMPLATE copies a migrated database in tens of milliseconds."""

    def __init__(self) -> None:
        self.template: str | None = None

    def fresh(self) -> tuple[str, str]:
        if self.template is None:
            name = f"loyalty_tpl_{uuid.uuid4().hex[:10]}"
            _admin(f'CREATE DATABASE "{name}"')
            upgrade(_pg_url(name))
            self.template = name
        name = f"loyalty_t_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name, _pg_url(name)

    @staticmethod
    def drop(name: str) -> None:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self.template is not None:
            self.drop(self.template)


class SqliteTemplates:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template: Path | None = None

    def fresh(self, target: Path) -> str:
        if self.template is None:
            self.template = self.folder / "template.db"
            upgrade(f"sqlite:///{self.template}")
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"
