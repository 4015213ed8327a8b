"""Many rows in one small statement: on PostgreSQL, each column travels as one array
and ``unnest`` turns the arrays back into rows, so a batch of any size is one short
query (no thousands of placeholders to build and parse) and one round trip. SQLite,
in-process, gets plain executemany.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
PG_TXID = "pg_current_xact_id()::text::bigint"


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _pg_type(table: Table, name: str) -> str:
    return table.c[name].type.compile(dialect=_PG)


def _arrays(table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    arrays = []
    for name in names:
        values = [row[name] for row in rows]
        if isinstance(table.c[name].type, JSON):
            values = [None if v is None else json.dumps(v) for v in values]
        arrays.append(values)
    return arrays


def _unnest(table: Table, names: Sequence[str]) -> str:
    """``unnest(%s::T[], …) AS v(c, …)``; JSON travels as text and is cast back."""
    arrays = ", ".join(
        f"%s::{'text' if isinstance(table.c[n].type, JSON) else _pg_type(table, n)}[]"
        for n in names
    )
    return f"unnest({arrays}) AS v({', '.join(names)})"


def _value(table: Table, name: str) -> str:
    return f"v.{name}::json" if isinstance(table.c[name].type, JSON) else f"v.{name}"


def pg_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str],
    extra: Mapping[str, str] | None = None,
    ignore_conflicts: bool = False,
) -> list[tuple[Any, ...]]:
    """INSERT … SELECT … FROM unnest(…) [ON CONFLICT DO NOTHING] RETURNING …, in row
    order (WITH ORDINALITY keeps it)."""
    names = list(rows[0])
    extra = dict(extra or {})
    columns = ", ".join([*names, *extra])
    values = ", ".join([*(_value(table, n) for n in names), *extra.values()])
    sql = (
        f"INSERT INTO {table.name} ({columns}) SELECT {values} "  # noqa: S608 - names from the model
        f"FROM {_unnest(table, names)} "
        + ("ON CONFLICT DO NOTHING " if ignore_conflicts else "")
        + f"RETURNING {', '.join(returning)}"
    )
    result = session.connection().exec_driver_sql(sql, tuple(_arrays(table, names, rows)))
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
        sets = [f"{n} = {_value(table, n)}" for n in names]
        sets += [f"{n} = {value}" for n, value in (extra or {}).items()]
        sql = (
            f"UPDATE {table.name} SET {', '.join(sets)} "  # noqa: S608 - names from the model
            f"FROM {_unnest(table, [key, *names])} WHERE {table.name}.{key} = v.{key}"
        )
        session.connection().exec_driver_sql(sql, tuple(_arrays(table, [key, *names], rows)))
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
