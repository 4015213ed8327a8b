"""Digests of what a till should hold, server side (common/sync_digest.py computes them;
the till computes the same over its cache), and the rows of buckets a till re-pulls.

At the end of a round the till holds every row whose change stamp is below the round's
horizon ``hi``, at that version. The server holds only each row's latest version, so a
bucket holding a row stamped at or past ``hi`` cannot be compared: it is *moving*, and
the next round brings it. Every other bucket is digested over its rows below ``hi``.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from common import sync_digest
from sync_server.actor import StoreActor
from sync_server.models import LedgerEntry
from sync_server.sync.pull import ENTITIES, Entity

_BY_NAME = {e.name: e for e in ENTITIES}
DIGESTED: tuple[Entity, ...] = tuple(_BY_NAME[name] for name in sync_digest.ENTITIES)


@dataclass(frozen=True, slots=True)
class Fetched:
    """An entity's rows in scope: wire values, and each row's change stamp."""

    entity: Entity
    rows: list[list[Any]]
    stamps: list[int]


def round_digests(
    session: Session, actor: StoreActor, hi: int, now: datetime, days: int | None
) -> dict[str, Any]:
    """What the final page of a round carries: ``since`` (ledger entries compared from
    then), ``buckets`` (name: digest) and ``moving`` (names not compared this round)."""
    since = sync_digest.history_since(now, days)
    buckets: dict[str, str] = {}
    moving: list[str] = []
    for entity in DIGESTED:
        fetched = _fetch(session, actor, entity, since, None)
        settled, busy = _split(fetched, hi)
        found = sync_digest.digests(entity.name, settled)
        for bucket_name in sorted(busy):
            found.pop(bucket_name, None)
            moving.append(bucket_name)
        buckets.update(found)
    return {"since": since.isoformat(), "buckets": buckets, "moving": moving}


def bucket_rows(
    session: Session,
    actor: StoreActor,
    wanted: dict[str, list[int]],
    now: datetime,
    days: int | None,
) -> dict[str, Any]:
    """The current rows of the ``wanted`` buckets (entity: numbers) in the pull's
    columns, and the digests of exactly those rows: the till replaces its rows of these
    buckets with them and expects these digests after."""
    since = sync_digest.history_since(now, days)
    tables: dict[str, dict[str, Any]] = {}
    buckets: dict[str, str] = {}
    for entity in DIGESTED:
        numbers = wanted.get(entity.name)
        if not numbers:
            continue
        fetched = _fetch(session, actor, entity, since, numbers)
        kept = [
            (row, digest_row)
            for row, digest_row in zip(fetched.rows, _digest_rows(fetched), strict=True)
            if digest_row is not None
        ]
        tables[entity.name] = {"columns": entity.columns, "rows": [row for row, _ in kept]}
        digest_rows = [d for _, d in kept if d is not None]
        buckets.update(sync_digest.digests(entity.name, digest_rows, numbers))
    return {"since": since.isoformat(), "tables": tables, "buckets": buckets}


def _fetch(
    session: Session,
    actor: StoreActor,
    entity: Entity,
    since: datetime,
    numbers: list[int] | None,
) -> Fetched:
    model = entity.model
    stmt = select(*entity.exprs, model.change_txid, model.id).where(entity.scope(actor))
    if entity.name == "transactions":
        stmt = stmt.where(LedgerEntry.created_at >= since)
    if numbers is not None:
        stmt = stmt.where(_bucket_key(entity).in_(numbers))
    fetched = session.connection().execute(stmt).all()  # Core rows: no ORM loading
    return Fetched(entity, entity.render(fetched), [int(row[-2]) for row in fetched])


def _bucket_key(entity: Entity) -> ColumnElement[int]:
    count = sync_digest.ENTITIES[entity.name][0]
    column = getattr(entity.model, sync_digest.BUCKET_KEY[entity.name])
    result: ColumnElement[int] = column % count
    return result


def _split(fetched: Fetched, hi: int) -> tuple[list[tuple[Any, ...]], set[str]]:
    """(digest rows of the rows below ``hi``, names of buckets holding a row at or past
    it). A deleted PIN at or past ``hi`` moves its bucket too: the till still holds it."""
    name = fetched.entity.name
    count = sync_digest.ENTITIES[name][0]
    key_at = fetched.entity.columns.index(sync_digest.BUCKET_KEY[name])
    settled: list[tuple[Any, ...]] = []
    busy: set[str] = set()
    for row, digest_row, stamp in zip(
        fetched.rows, _digest_rows(fetched), fetched.stamps, strict=True
    ):
        if stamp >= hi:
            busy.add(sync_digest.name(name, row[key_at] % count))
        elif digest_row is not None:
            settled.append(digest_row)
    return settled, busy


def _digest_rows(fetched: Fetched) -> list[tuple[Any, ...] | None]:
    """Each wire row as the digest sees it; None for a row the till does not keep (a
    deleted PIN)."""
    name, columns = fetched.entity.name, fetched.entity.columns
    if name == "customers":
        at = {c: i for i, c in enumerate(columns)}
        return [
            sync_digest.customer_row(r[at["id"]], r[at["name"]], r[at["email"]])
            for r in fetched.rows
        ]
    pick = itemgetter(*(columns.index(c) for c in sync_digest.ENTITIES[name][1]))
    out: list[tuple[Any, ...] | None] = [pick(r) for r in fetched.rows]
    if name == "staff_pins":
        deleted = columns.index("deleted")
        out = [None if r[deleted] else d for r, d in zip(fetched.rows, out, strict=True)]
    return out


def parse_names(text: str) -> dict[str, list[int]] | None:
    """``cards:3,customers:5`` as entity: bucket numbers; None if any name is not a
    bucket (the caller refuses the request)."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for part in text.split(","):
        parsed = sync_digest.parse(part.strip())
        if parsed is None:
            return None
        entity, number = parsed
        if number not in wanted[entity]:
            wanted[entity].append(number)
    return dict(wanted)
