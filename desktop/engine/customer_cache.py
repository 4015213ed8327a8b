"""Customers as the till keeps them: minimised on the way in (common/customer_privacy),
and forgotten when the server says a person was erased.

The server sends a customer's email, name and phone; the till stores only a short
name, a masked email and keyed digests of the email and phone (docs/privacy.md). An
erased customer comes back from the server with no email: the till then drops what it
still holds of that person outside the customers table, the settled outbox rows of
their cards (an enrollment there carries what was typed).
"""

import json
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from common.customer_privacy import email_hint, email_key, phone_key, short_name

COLUMNS = ("id", "name", "email_hint", "email_key", "phone_key")
# Set in a transaction's connection info when it forgot someone: the store then
# truncates the WAL after commit, as a wipe does.
ERASED = "customers_erased"
_KEY = "lookup_key"


def stored_key(conn: Connection) -> bytes | None:
    """This till's digest key; None until the first customer arrived."""
    raw = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": _KEY}).scalar()
    return None if raw is None else bytes.fromhex(json.loads(raw))


def lookup_key(conn: Connection) -> bytes:
    """This till's digest key, made on first use (random, never derived from anything
    printed or typed; it lives in the encrypted cache with what it protects)."""
    stored = stored_key(conn)
    if stored is not None:
        return stored
    key = secrets.token_bytes(32)
    conn.execute(
        text("INSERT INTO meta (key, value) VALUES (:k, :v)"),
        {"k": _KEY, "v": json.dumps(key.hex())},
    )
    conn.info.setdefault("meta_written", {})["yes"] = True
    return key


def minimised(
    key: bytes, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Sequence[Any]]:
    """Pulled customer rows (any column order) as the till stores them, in COLUMNS."""
    at = {name: i for i, name in enumerate(columns)}

    def get(row: Sequence[Any], name: str) -> Any:
        return row[at[name]] if name in at else None

    return [
        (
            get(row, "id"),
            short_name(get(row, "name")),
            email_hint(get(row, "email")),
            email_key(key, get(row, "email")),
            phone_key(key, get(row, "phone")),
        )
        for row in rows
    ]


def erased_ids(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Customers the server sent without an email: erased (an email is mandatory
    otherwise)."""
    if "email" not in columns:
        return []
    id_at, email_at = columns.index("id"), columns.index("email")
    return [int(row[id_at]) for row in rows if row[email_at] is None]


def forget(conn: Connection, customer_ids: Sequence[int]) -> int:
    """Drop the settled outbox rows of an erased person's cards; returns how many. Rows
    still to be pushed stay: the server decides them (docs/privacy.md, "Erasure")."""
    removed = 0
    if customer_ids:
        conn.info[ERASED] = True
    for customer_id in customer_ids:
        result = conn.execute(
            text(
                "DELETE FROM outbox WHERE settled = 1 AND card_number IN "
                "(SELECT card_number FROM cards WHERE customer_id = :c)"
            ),
            {"c": customer_id},
        )
        removed += result.rowcount
    return removed
