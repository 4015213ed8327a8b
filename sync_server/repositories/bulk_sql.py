"""Many rows in one small statement. On PostgreSQL the rows travel as one JSON
document that ``json_to_recordset`` turns back into typed rows, so a batch of any size
is one short query with one parameter: no thousands of placeholders to build and parse,
no per-value adaptation in Python (the JSON encoder is pydantic-core's, in Rust, dates
included: about a tenth of a push's server CPU went to ``json.dumps`` and its date hook
before, docs/push-profile.md). SQLite, in-process, gets plain executemany.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from pydantic_core import PydanticSerializationError, to_json
from sqlalchemy import Table, bindparam, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
PG_TXID = "pg_current_xact_id()::text::bigint"


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _recordset(table: Table, names: Sequence[str]) -> str:
    """``json_to_recordset(%s::json) AS v(c T, …)`` with each column's own type."""
    return _recordset_of(table, tuple(names))


@lru_cache(maxsize=256)
def _recordset_of(table: Table, names: tuple[str, ...]) -> str:
    columns = ", ".join(f"{n} {table.c[n].type.compile(dialect=_PG)}" for n in names)
    return f"json_to_recordset(%s::json) AS v({columns})"


def _document(names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as one JSON array. A string the Rust encoder refuses (a lone surrogate
    a till sent escaped) goes through ``json.dumps``, which escapes it again."""
    document = [{n: row[n] for n in names} for row in rows]
    try:
        return to_json(document).decode()
    except PydanticSerializationError:
        return json.dumps(document, default=_json_value)


def pg_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str],
    extra: Mapping[str, str] | None = None,
    ignore_conflicts: bool = False,
) -> list[tuple[Any, ...]]:
    """INSERT … SELECT … FROM json_to_recordset(…) [ON CONFLICT DO NOTHING] RETURNING …;
    ``extra``: columns set by one SQL expression for every row (e.g. the change stamp).
    """
    if not rows:
        return []
    names = list(rows[0])
    extra = dict(extra or {})
    columns = ", ".join([*names, *extra])
    values = ", ".join([*(f"v.{n}" for n in names), *extra.values()])
    sql = (
        f"INSERT INTO {table.name} ({columns}) SELECT {values} "  # noqa: S608 - model names
        f"FROM {_recordset(table, names)} "
        + ("ON CONFLICT DO NOTHING " if ignore_conflicts else "")
        + f"RETURNING {', '.join(returning)}"
    )
    result = session.connection().exec_driver_sql(sql, (_document(names, rows),))
    return [tuple(row) for row in result]


def update_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str = "id",
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Set each row's columns where ``key`` matches. ``extra`` columns get one value for
    all rows: a SQL text on PostgreSQL (e.g. the change stamp), a Python value or SQL
    expression on SQLite."""
    if not rows:
        return
    names = [n for n in rows[0] if n != key]
    if is_postgres(session):
        sets = [f"{n} = v.{n}" for n in names]
        sets += [f"{n} = {value}" for n, value in (extra or {}).items()]
        sql = (
            f"UPDATE {table.name} SET {', '.join(sets)} "  # noqa: S608 - model names
            f"FROM {_recordset(table, [key, *names])} WHERE {table.name}.{key} = v.{key}"
        )
        session.connection().exec_driver_sql(sql, (_document([key, *names], rows),))
        return
    stmt = (
        update(table)
        .where(table.c[key] == bindparam("_key"))
        .values({n: bindparam(f"v_{n}", type_=table.c[n].type) for n in names})
    )
    if extra:
        stmt = stmt.values(dict(extra))
    params = [{"_key": row[key], **{f"v_{n}": row[n] for n in names}} for row in rows]
    session.connection().execute(stmt, params)
