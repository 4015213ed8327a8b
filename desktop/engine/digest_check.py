"""Proving the till's cache equals the server's: after a round whose final page carried
digests, the till digests its own tables the same way (common/sync_digest.py), asks
the server for the rows of the buckets that differ, and replaces its rows of those
buckets with them in one transaction. A bucket that still differs after its repair is
kept in meta (``digest_divergent``) for the status bar: a bug to look at, not noise.

Counted in meta: ``digest_checks`` (rounds checked), ``digest_repairs`` (buckets
re-pulled), ``digest_divergent`` (buckets differing after their repair).
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, text

from common import sync_digest
from desktop.engine import pull_apply, pull_page
from desktop.engine.local_store import LocalStore

_CARD_COLUMNS = sync_digest.CARD_COLUMNS
_SELECT: dict[str, str] = {
    "cards": "SELECT id, state FROM cards",
    "staff_pins": "SELECT id, name, pin_hash, is_active FROM staff_pins",
    "aliases": "SELECT card_number, card_id FROM aliases",
    "transactions": "SELECT id, card_id, type, stamps_delta, points_delta, order_reference, "
    "related_transaction_id, reward_id, created_at FROM transactions WHERE created_at >= :since",
    "customers": "SELECT id, name, email_hint FROM customers",
}
# The till's rows of some buckets, to be replaced by the server's.
_DELETE: dict[str, str] = {
    "cards": "DELETE FROM cards WHERE id % :count IN :numbers",
    "aliases": "DELETE FROM aliases WHERE card_id % :count IN :numbers",
    "transactions": "DELETE FROM transactions WHERE card_id % :count IN :numbers "
    "AND created_at >= :since",
    "customers": "DELETE FROM customers WHERE id % :count IN :numbers",
    "staff_pins": "DELETE FROM staff_pins WHERE id % :count IN :numbers",
}


class Unusable(Exception):
    """The server answered a re-pull with something the till cannot store."""


Fetch = Callable[[str], Any]  # bucket names, comma-separated: the server's answer


@dataclass(frozen=True, slots=True)
class Verdict:
    differed: list[str]  # buckets whose digest differed and were re-pulled
    still: list[str]  # buckets that differ even after their repair


def local_digests(
    conn: Connection, since: str, entities: Iterable[str], numbers: list[int] | None = None
) -> dict[str, str]:
    """Bucket name: digest of what this till holds, for every bucket of ``entities``
    (or only buckets ``numbers`` of each, read alone: a repair's check)."""
    out: dict[str, str] = {}
    for entity in entities:
        rows = _rows(conn, entity, since, numbers)
        out.update(sync_digest.digests(entity, rows, numbers))
    return out


def _rows(
    conn: Connection, entity: str, since: str, numbers: list[int] | None
) -> list[tuple[Any, ...]]:
    sql, params = _SELECT[entity], {"since": since}
    if numbers is not None:
        count = sync_digest.ENTITIES[entity][0]
        key = "id" if entity in ("cards", "customers", "staff_pins") else "card_id"
        sql = f"SELECT * FROM ({sql}) WHERE {key} % {count} IN ({','.join(map(str, numbers))})"  # noqa: S608 - ints
    cursor = conn.connection.cursor()  # plain tuples: no Row object per row
    try:
        found = cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()
    if entity == "cards":
        return [tuple(map(json.loads(s).get, _CARD_COLUMNS)) for _, s in found]
    if entity == "staff_pins":  # SQLite hands a boolean back as 0/1
        return [(i, n, h, bool(a)) for i, n, h, a in found]
    return list(found)


def differing(conn: Connection, digests: dict[str, Any]) -> list[str]:
    """Names of the buckets whose digest the server sent and this till's differs; a
    bucket of an entity this till does not know is not compared."""
    sent = {n: d for n, d in digests["buckets"].items() if sync_digest.parse(n) is not None}
    entities = {n.partition(":")[0] for n in sent}
    local = local_digests(conn, digests["since"], entities)
    return sorted(n for n, d in sent.items() if local.get(n) != d)


def check(store: LocalStore, digests: dict[str, Any], fetch: Fetch) -> Verdict:
    """Compare, re-pull what differs, and record the outcome in meta."""
    with store.reading() as conn:
        differed = differing(conn, digests)
    still = repair(store, differed, fetch) if differed else []
    with store.transaction() as conn:
        store.set_meta(conn, "digest_checks", int(store.get_meta("digest_checks", 0)) + 1)
        if differed:
            repairs = int(store.get_meta("digest_repairs", 0)) + len(differed)
            store.set_meta(conn, "digest_repairs", repairs)
        store.set_meta(conn, "digest_divergent", still)
    return Verdict(differed, still)


def repair(store: LocalStore, names: list[str], fetch: Fetch) -> list[str]:
    """Replace this till's rows of ``names`` with the server's current rows, in one
    transaction; returns the buckets that still differ from the digests sent with them.
    An answer the till cannot use changes nothing and raises ``Unusable``."""
    answer = fetch(",".join(names))
    problem = pull_page.buckets_problem(answer)
    if problem is not None:
        raise Unusable(f"The server's re-pull of {len(names)} buckets is unusable: {problem}.")
    wanted: dict[str, list[int]] = {}
    for bucket_name in names:
        entity, number = sync_digest.parse(bucket_name) or ("", 0)
        wanted.setdefault(entity, []).append(number)
    with store.transaction() as conn:
        for entity, numbers in wanted.items():
            statement = text(_DELETE[entity]).bindparams(bindparam("numbers", expanding=True))
            count = sync_digest.ENTITIES[entity][0]
            params = {"count": count, "numbers": numbers, "since": answer["since"]}
            conn.execute(statement, params)
        pull_apply.write(conn, {"tables": answer["tables"]})
        local: dict[str, str] = {}
        for entity, numbers in wanted.items():
            local.update(local_digests(conn, answer["since"], [entity], numbers))
    store.settle_pulled()  # an applied op whose ledger row was missing is settled now
    return [n for n in names if local.get(n) != answer["buckets"].get(n)]
