"""Pull, server side: every change a terminal needs, in pages, none ever skipped.

A round hands out the rows whose change stamp lies in [lo, hi): ``lo`` is where the
previous round stopped and ``hi`` the horizon taken when this round began (see
sync_server/sync/changes.py: every stamp below it is committed). Entities are walked one
after the other in a fixed order, each by (change_txid, id). The cursor is opaque to
the terminal: base64 of that position.

Rows are read as plain tuples (Core selects, no ORM objects) and walked by a row-value
comparison ``(change_txid, id) > (k0, k1)`` that PostgreSQL answers from the pull index
at any depth; the ``OR`` spelling of the same condition made it rescan every row
before the key, so page n of a first sync cost n times page one.
"""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Date, Select, and_, exists, select, tuple_
from sqlalchemy.orm import Session

from sync_server.actor import StoreActor
from sync_server.models import Card, Customer, LedgerEntry, Merchant, StaffPin
from sync_server.models.base import UTCDateTime
from sync_server.models.sync import CardAlias, SyncOp, Terminal
from sync_server.sync.changes import horizon
from sync_server.sync.epoch import current_epoch

CURSOR_VERSION = 1
# A till away longer than this starts over: cheaper than replaying months of churn, and
# the bound that would let the server forget old change stamps one day.
CURSOR_MAX_AGE_S = 30 * 24 * 3600
# Rows per page at most, whatever the till asks: the largest rows (an op outcome, a
# ledger entry) are under 1 KB, so a page stays within a few megabytes.
MAX_PAGE_ROWS = 5000

WireFormat = Literal["objects", "columns"]


_INT64 = 2**63 - 1


class Cursor(BaseModel):
    v: int = CURSOR_VERSION
    t: int  # the terminal it was made for
    lo: int = Field(default=0, ge=0, le=_INT64)
    hi: int | None = Field(default=None, ge=0, le=_INT64)  # None: a new round starts
    e: int = Field(default=0, ge=0)  # entity index
    k: tuple[int, int] | None = None  # last (change_txid, id) handed out in entity e
    at: int = 0  # when the round that made it ended (epoch seconds)
    # The database history it belongs to (sync_server/sync/epoch.py); None: issued
    # before epochs, taken as the current one so a rolling deploy resets no till.
    ep: int | None = Field(default=None, ge=0, le=_INT64)

    def encode(self, key: str) -> str:
        """base64 of the position, a dot, and its HMAC under the till's cursor key."""
        body = base64.urlsafe_b64encode(self.model_dump_json().encode()).decode()
        return f"{body}.{_sign(key, body)}"

    @classmethod
    def decode(
        cls,
        text: str | None,
        terminal_id: int,
        key: str,
        now: float,
        horizon: int,
        epoch: int | None = None,
    ) -> tuple["Cursor", bool]:
        """(cursor, reset): a cursor this server did not sign for this till, of another
        version or epoch (a restored database), too old, garbled, or ahead of the present
        (a forged one) means a full resync from the beginning; no cursor is a first sync.
        Without ``epoch`` the epoch is not checked."""
        if not text:
            return cls(t=terminal_id, ep=epoch), False
        cursor = _verified(text, key)
        if cursor is not None and cursor.usable(terminal_id, now, horizon, epoch):
            return cursor, False
        return cls(t=terminal_id, ep=epoch), True

    def usable(self, terminal_id: int, now: float, horizon: int, epoch: int | None = None) -> bool:
        fresh = self.hi is not None or now - self.at <= CURSOR_MAX_AGE_S
        keys = self.k is None or all(0 <= part <= _INT64 for part in self.k)
        in_range = self.e < len(ENTITIES) and keys
        behind_present = self.lo <= horizon and (self.hi is None or self.lo <= self.hi <= horizon)
        mine = self.v == CURSOR_VERSION and self.t == terminal_id
        this_history = self.ep is None or epoch is None or self.ep == epoch
        return mine and this_history and fresh and in_range and behind_present


def _sign(key: str, body: str) -> str:
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]


def _verified(text: str, key: str) -> Cursor | None:
    body, _, tag = text.partition(".")
    if not hmac.compare_digest(tag.encode(), _sign(key, body).encode()):
        return None
    try:
        return Cursor.model_validate_json(base64.urlsafe_b64decode(body.encode()))
    except (ValidationError, binascii.Error, ValueError):
        return None


class Entity:
    """One synced table: which rows a store sees, and the columns it is sent, in order.
    Dates and datetimes go out as ISO strings (found from the column types)."""

    def __init__(
        self,
        name: str,
        model: Any,
        scope: Any,
        columns: tuple[Any, ...],  # mapped attributes or labelled expressions
    ) -> None:
        self.name = name
        self.model = model
        self.scope = scope
        self.exprs = columns
        self.columns: tuple[str, ...] = tuple(str(c.key) for c in columns)
        self.iso = tuple(i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime | Date))

    def render(self, rows: Any) -> list[list[Any]]:
        """Wire values of fetched rows; the trailing (change_txid, id) stays behind."""
        iso, out = self.iso, []
        for row in rows:
            values = list(row[:-2])
            for i in iso:
                value: date | datetime | None = values[i]
                if value is not None:
                    values[i] = value.isoformat()
            out.append(values)
        return out


ENTITIES: tuple[Entity, ...] = (
    Entity(
        "customers",
        Customer,
        lambda a: Customer.merchant_id == a.merchant_id,
        (Customer.id, Customer.email, Customer.name, Customer.phone),
    ),
    Entity(
        "cards",
        Card,
        lambda a: Card.merchant_id == a.merchant_id,
        (
            Card.id,
            Card.card_number,
            Card.customer_id,
            Card.qr_code_data,
            Card.enrolled_at_store_id,
            Card.is_active,
            Card.stamp_count,
            Card.total_stamps_earned,
            Card.stamps_redeemed,
            Card.total_stamps_voided,
            Card.points_balance,
            Card.total_points_earned,
            Card.points_redeemed,
            Card.total_points_voided,
            Card.total_points_adjusted,
            Card.stamps_day,
            Card.stamps_on_day,
            Card.last_stamp_at,
            Card.last_points_at,
            Card.last_redemption_at,
            Card.last_activity_at,
        ),
    ),
    Entity(
        "aliases",
        CardAlias,
        lambda a: CardAlias.merchant_id == a.merchant_id,
        (CardAlias.card_number, CardAlias.card_id),
    ),
    Entity(
        "staff_pins",
        StaffPin,
        lambda a: StaffPin.store_id == a.store_id,
        (
            StaffPin.id,
            StaffPin.name,
            StaffPin.staff_id,
            StaffPin.pin_hash,
            and_(StaffPin.is_active, StaffPin.deleted_at.is_(None)).label("is_active"),
            StaffPin.deleted_at.is_not(None).label("deleted"),
            StaffPin.failed_attempts,
            StaffPin.locked_until,
            StaffPin.lockout_level,
            StaffPin.daily_failures,
            StaffPin.daily_since,
        ),
    ),
    Entity(
        "transactions",
        LedgerEntry,
        lambda a: LedgerEntry.store_id == a.store_id,
        (
            LedgerEntry.id,
            LedgerEntry.card_id,
            LedgerEntry.type,
            LedgerEntry.stamps_delta,
            LedgerEntry.points_delta,
            LedgerEntry.order_reference,
            LedgerEntry.related_transaction_id,
            LedgerEntry.reward_id,
            LedgerEntry.created_at,
        ),
    ),
    Entity(
        "op_outcomes",
        SyncOp,
        lambda a: SyncOp.terminal_id == a.terminal_id,
        (
            SyncOp.op_id,
            SyncOp.seq,
            SyncOp.status,
            SyncOp.code,
            SyncOp.message,
            SyncOp.result,
            SyncOp.acknowledged_at,
            SyncOp.acknowledged_by,
            SyncOp.resolution_action,
            SyncOp.resolution_reason,
            SyncOp.resolved_by,
        ),
    ),
)


@dataclass
class PullPage:
    rows: dict[str, list[list[Any]]]  # entity name: wire values, in ENTITIES' columns
    cursor: str
    has_more: bool
    reset: bool
    caught_up: bool
    hi: int = 0  # the round's horizon: a final page's till holds every row stamped below

    @property
    def changes(self) -> dict[str, list[dict[str, Any]]]:
        """The rows as objects (the original wire format)."""
        return {
            e.name: [dict(zip(e.columns, r, strict=True)) for r in self.rows[e.name]]
            for e in ENTITIES
        }

    @property
    def tables(self) -> dict[str, dict[str, Any]]:
        """The rows as column names + value arrays (the compact wire format)."""
        return {e.name: {"columns": e.columns, "rows": self.rows[e.name]} for e in ENTITIES}


def pull(
    session: Session, actor: StoreActor, cursor_text: str | None, limit: int, now: datetime
) -> PullPage:
    """A page of changes. A completed round records when this till last pulled: the
    server's own fact about how old the till's snapshot is (offline limits use it)."""
    assert actor.terminal_id is not None
    terminal = session.get_one(Terminal, actor.terminal_id)
    key = terminal.cursor_key
    now_horizon = horizon(session)
    epoch = current_epoch(session)
    cursor, reset = Cursor.decode(
        cursor_text, actor.terminal_id, key, now.timestamp(), now_horizon.value, epoch
    )
    hi = cursor.hi if cursor.hi is not None else now_horizon.value
    rows: dict[str, list[list[Any]]] = {e.name: [] for e in ENTITIES}
    room, index, position = min(limit, MAX_PAGE_ROWS), cursor.e, cursor.k
    stamped = _stamped_in(session, actor, cursor.lo, hi, index)
    while index < len(ENTITIES) and room > 0:
        entity = ENTITIES[index]
        if index not in stamped:
            index, position = index + 1, None
            continue
        fetched = session.execute(_page(entity, actor, cursor.lo, hi, position, room)).all()
        rows[entity.name].extend(entity.render(fetched))
        room -= len(fetched)
        if room > 0:  # this entity is exhausted for the round
            index, position = index + 1, None
        else:
            position = (int(fetched[-1][-2]), int(fetched[-1][-1]))
    if index >= len(ENTITIES):
        done = Cursor(t=actor.terminal_id, lo=hi, at=int(now.timestamp()), ep=epoch)
        caught_up = now_horizon.caught_up and hi >= now_horizon.value
        terminal.last_pull_at = now
        return PullPage(rows, done.encode(key), False, reset, caught_up, hi)
    more = Cursor(t=actor.terminal_id, lo=cursor.lo, hi=hi, e=index, k=position, ep=epoch)
    return PullPage(rows, more.encode(key), has_more=True, reset=reset, caught_up=False)


def _stamped_in(session: Session, actor: StoreActor, lo: int, hi: int, first: int) -> set[int]:
    """The entities, from ``first`` on, that hold rows stamped in [lo, hi), in one
    query: most rounds (a stream's end, a till's own push coming back) carry one or two
    entities or none, and each entity asked for costs a round trip. No row can enter
    [lo, hi) after this (every stamp below ``hi`` is committed), so a ``no`` holds for
    the round's later pages too; a row that leaves it, changed again, comes next round."""
    if first >= len(ENTITIES):
        return set()
    probes = [
        exists().where(e.scope(actor), e.model.change_txid >= lo, e.model.change_txid < hi)
        for e in ENTITIES[first:]
    ]
    found = session.execute(select(*probes)).one()
    return {first + i for i, has_rows in enumerate(found) if has_rows}


def _page(
    entity: Entity, actor: StoreActor, lo: int, hi: int, key: tuple[int, int] | None, limit: int
) -> Select[Any]:
    model = entity.model
    stamp, ident = model.change_txid, model.id
    stmt = select(*entity.exprs, stamp, ident).where(entity.scope(actor), stamp >= lo, stamp < hi)
    if key is not None:
        stmt = stmt.where(tuple_(stamp, ident) > tuple_(*key))
    return stmt.order_by(stamp, ident).limit(limit)


def merchant_qr_key(session: Session, merchant_id: int) -> str:
    return session.get_one(Merchant, merchant_id).qr_key
