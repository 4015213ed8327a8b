"""Is this instance fit to take traffic? Its database answers, takes writes, and its
schema is the one this code was written for, or a newer one (see ``check``)."""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from sync_server.migrate import alembic_config


@dataclass(frozen=True)
class Readiness:
    ready: bool
    code: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def check(engine: Engine) -> Readiness:
    """Ready when the database takes writes and the schema is at this code's head, or
    ahead of it: during a rolling deploy the new release migrates first (additive
    changes only) while old instances still serve; failing them would take the whole
    fleet out. Behind or unmigrated means this code would hit missing columns: not
    ready. A read-only database (a standby, after a failover or a wrong address) would
    fail every push: not ready, so the balancer sends tills elsewhere."""
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
            read_only = _read_only(conn)
    except SQLAlchemyError as exc:
        return Readiness(
            False,
            "DATABASE_UNAVAILABLE",
            "The database does not answer.",
            {"error": type(exc.orig if hasattr(exc, "orig") else exc).__name__},
        )
    if read_only is not None:
        return Readiness(
            False, "DATABASE_READ_ONLY", "The database does not take writes.", read_only
        )
    scripts = _scripts()
    expected = set(scripts.get_heads())
    detail: dict[str, Any] = {"schema": sorted(current), "code_expects": sorted(expected)}
    if current == expected:
        return Readiness(True, "READY", "ready", detail)
    if not current:
        return Readiness(False, "SCHEMA_NOT_MIGRATED", "Run `loyalty-server migrate`.", detail)
    if any(_unknown(scripts, rev) for rev in current):
        return Readiness(True, "READY", "ready (schema is newer than this code)", detail)
    return Readiness(False, "SCHEMA_OUTDATED", "Run `loyalty-server migrate`.", detail)


def _unknown(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is None
    except (CommandError, RevisionError):
        return True


def _read_only(conn: Connection) -> dict[str, Any] | None:
    """What makes this PostgreSQL session read-only, or None when it takes writes. A hot
    standby's sessions are read-only, as are those of a database set to
    ``default_transaction_read_only`` (maintenance): both refuse every write."""
    if conn.dialect.name != "postgresql":
        return None
    in_recovery, read_only = conn.execute(
        text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
    ).one()
    if not in_recovery and read_only != "on":
        return None
    return {"in_recovery": bool(in_recovery), "transaction_read_only": read_only == "on"}
