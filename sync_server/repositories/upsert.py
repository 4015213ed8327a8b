"""INSERT … ON CONFLICT DO NOTHING for both backends."""

from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """True when the row was inserted, False when the key already existed."""
    stmt: Insert
    if session.get_bind().dialect.name == "postgresql":
        stmt = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
