"""Is this instance fit to take traffic? Its database answers and its schema is the one
this code was written for, or a newer one (see ``check``)."""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Engine
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
    """Ready when the schema is at this code's head, or ahead of it: during a rolling
    deploy the new release migrates first (additive changes only) while old instances
    still serve; failing them would take the whole fleet out. Behind or unmigrated
    means this code would hit missing columns: not ready."""
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as exc:
        return Readiness(
            False,
            "DATABASE_UNAVAILABLE",
            "The database does not answer.",
            {"error": type(exc.orig if hasattr(exc, "orig") else exc).__name__},
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
