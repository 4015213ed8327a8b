"""INSERT … ON CONFLICT DO NOTHING for both backends."""

from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """True when the row was inserted, False when the key already existed.

    Told by RETURNING, not rowcount: an ORM-enabled INSERT through the session reports
    no reliable rowcount on PostgreSQL (it said "inserted" for a conflict)."""
    stmt: Insert
    if session.get_bind().dialect.name == "postgresql":
        stmt = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    key = list(model.__table__.primary_key.columns)
    return session.execute(stmt.returning(*key)).first() is not None
