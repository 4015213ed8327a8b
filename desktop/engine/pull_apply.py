"""Landing a pulled page's rows in the till's SQLite with no Python work per row.

A page comes as column names + value arrays (``format=columns``, see
docs/sync-protocol.md) or, from older servers and tests, as row objects, turned into the
same shape here. Each entity is one ``executemany`` whose numbered parameters (``?N``)
point at the page's own columns, so the arrays go to SQLite as they were parsed; a card's
state JSON is built by SQLite's ``json_object`` in C. A first sync of 100k cards spent
more time in ``json.dumps`` and dict building than in SQLite.
"""

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from common import sync_digest
from desktop.engine import customer_cache

Table = tuple[Sequence[str], list[Sequence[Any]]]

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Card fields that are JSON booleans in the state (SQLite hands a bound bool back as 1).
CARD_BOOLEANS = frozenset({"is_active"})

# Local table: (its columns, in order; the wire column each one takes).
_TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "customers": ("customers", customer_cache.COLUMNS),
    # What the till keeps of these is exactly what their digests cover (the check of a
    # bucket compares the till's rows with the server's: common/sync_digest.py).
    "aliases": ("aliases", sync_digest.ENTITIES["aliases"][1]),
    "transactions": ("transactions", sync_digest.ENTITIES["transactions"][1]),
    "staff_pins": (
        "staff_pins",
        (
            "id",
            "name",
            "pin_hash",
            "is_active",
            "failed_attempts",
            "locked_until",
            "lockout_level",
            "daily_failures",
            "daily_since",
        ),
    ),
}
_CARDS_INSERT = "INSERT OR REPLACE INTO cards (card_number, id, customer_id, state) VALUES"
# Order matters only for readability of a page in the database: customers before cards.
ENTITY_ORDER = ("customers", "cards", "aliases", "transactions", "staff_pins")
# This till's pushed ops as the server holds them: only their acknowledgement is kept
# (an item acknowledged elsewhere, e.g. by the owner, leaves this till's list too).
OUTCOMES = "op_outcomes"
CHECKED_ENTITIES = (*ENTITY_ORDER, OUTCOMES)
_ACKNOWLEDGE = (
    "UPDATE outbox SET acknowledged_at = ?2, acknowledged_by = coalesce(?3, acknowledged_by) "
    "WHERE op_id = ?1 AND acknowledged_at IS NULL"
)


# The server keeps the first resolution of an item; where another till or the owner
# resolved it first, theirs replaces what this till decided.
_RESOLVED = (
    "UPDATE outbox SET resolution_action = ?2, resolution_reason = ?3, resolved_by = ?4 "
    "WHERE op_id = ?1"
)


def tables(page: dict[str, Any]) -> dict[str, Table]:
    """Entity name: (columns, rows) of the entities this till keeps, whichever wire
    format the page came in; op outcomes are read by ``acknowledgements``, entities of
    later servers are ignored unread."""
    if page.get("tables") is not None:
        found = page["tables"]
        return {n: (found[n]["columns"], found[n]["rows"]) for n in ENTITY_ORDER if n in found}
    out: dict[str, Table] = {}
    changes = page.get("changes") or {}
    for name in ENTITY_ORDER:
        records = changes.get(name) or []
        columns = tuple(dict.fromkeys(key for record in records for key in record))
        out[name] = (columns, [[record.get(c) for c in columns] for record in records])
    return out


def write(conn: Connection, page: dict[str, Any]) -> int:
    """Upsert every entity of ``page`` (in the caller's transaction; a page checked by
    ``pull_page.problem``); returns how many rows of these entities it carried."""
    found = tables(page)
    cursor = conn.connection.cursor()
    try:
        for name in ENTITY_ORDER:
            columns, rows = found.get(name, ((), []))
            if not rows:
                continue
            if name == "customers":  # minimised on the way in: see customer_cache
                erased = customer_cache.erased_ids(columns, rows)
                rows = customer_cache.minimised(customer_cache.lookup_key(conn), columns, rows)
                columns = customer_cache.COLUMNS
                customer_cache.forget(conn, erased)
            sql, width = _statement(name, tuple(columns))
            gone = _deleted(name, tuple(columns), rows)
            if width < len(columns):  # columns this till does not keep
                rows = [row[:width] for row in rows]
            cursor.executemany(sql, rows)
            cursor.executemany("DELETE FROM staff_pins WHERE id = ?", gone)
        cursor.executemany(_ACKNOWLEDGE, acknowledgements(page))
        cursor.executemany(_RESOLVED, resolutions(page))
    finally:
        cursor.close()
    return sum(len(rows) for _, rows in found.values())


def _outcomes(page: dict[str, Any]) -> list[dict[str, Any]]:
    if page.get("tables") is not None:
        found = page["tables"].get(OUTCOMES) or {"columns": [], "rows": []}
        columns, rows = found["columns"], found["rows"]
        return [dict(zip(columns, row, strict=True)) for row in rows]
    return list((page.get("changes") or {}).get(OUTCOMES) or [])


def resolutions(page: dict[str, Any]) -> list[tuple[Any, Any, Any, Any]]:
    """(op_id, action, reason, by) of this till's ops the server holds as resolved;
    none from a server that does not send the columns."""
    return [
        (r["op_id"], r["resolution_action"], r.get("resolution_reason"), r.get("resolved_by"))
        for r in _outcomes(page)
        if r.get("resolution_action") is not None
    ]


def acknowledgements(page: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    """(op_id, acknowledged_at, acknowledged_by) of this till's ops the server holds as
    acknowledged; none from a server that does not send the column."""
    records = _outcomes(page)
    return [
        (r["op_id"], r["acknowledged_at"], r.get("acknowledged_by"))
        for r in records
        if r.get("acknowledged_at") is not None
    ]


def _deleted(
    name: str, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any]]:
    """Staff PINs the server deleted: they leave the till's cache, hash and name with
    them (an inactive one stays, so a reactivation needs no new pull)."""
    if name != "staff_pins" or "deleted" not in columns:
        return []
    at, key = columns.index("deleted"), columns.index("id")
    return [(row[key],) for row in rows if row[at]]


@lru_cache(maxsize=64)
def _statement(name: str, columns: tuple[str, ...]) -> tuple[str, int]:
    """(SQL, how many leading columns of a row it binds) for a page's column list."""
    bad = [c for c in columns if not _NAME.fullmatch(c)]
    if bad:
        raise ValueError(f"unexpected column names in a pulled page: {bad}")
    position = {c: i + 1 for i, c in enumerate(columns)}

    def param(column: str) -> str:
        return f"?{position[column]}" if column in position else "NULL"

    if name == "cards":
        fields = ", ".join(f"'{c}', {_card_value(c, position[c])}" for c in columns)
        keys = f"{param('card_number')}, {param('id')}, {param('customer_id')}"
        # Column names checked above; every value is bound.
        sql = f"{_CARDS_INSERT} ({keys}, json_object({fields}))"
        return sql, len(columns)
    table, targets = _TARGETS[name]
    values = ", ".join(param(c) for c in targets)
    width = max((position[c] for c in targets if c in position), default=0)
    sql = f"INSERT OR REPLACE INTO {table} ({', '.join(targets)}) VALUES ({values})"  # noqa: S608 - fixed names
    return sql, width


def _card_value(column: str, index: int) -> str:
    if column in CARD_BOOLEANS:
        return (
            f"CASE WHEN ?{index} IS NULL THEN NULL "
            f"WHEN ?{index} THEN json('true') ELSE json('false') END"
        )
    return f"?{index}"
