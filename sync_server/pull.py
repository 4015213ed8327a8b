"""Pull, server side: every change a terminal needs, in pages, none ever skipped.

A round hands out the rows whose change stamp lies in [lo, hi): ``lo`` is where the
previous round stopped and ``hi`` the horizon taken when this round began (see
sync_server/changes.py: every stamp below it is committed). Entities are walked one
after the other in a fixed order, each by (change_txid, id). The cursor is opaque to
the terminal: base64 of that position.
"""

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from sync_server.actor import StoreActor
from sync_server.changes import horizon
from sync_server.models import Card, Customer, LedgerEntry, Merchant, StaffPin
from sync_server.models.sync import CardAlias, SyncOp

CURSOR_VERSION = 1
# A till away longer than this starts over: cheaper than replaying months of churn, and
# the bound that would let the server forget old change stamps one day.
CURSOR_MAX_AGE_S = 30 * 24 * 3600


class Cursor(BaseModel):
    v: int = CURSOR_VERSION
    t: int  # the terminal it was made for
    lo: int = 0
    hi: int | None = None  # None: the next page starts a new round
    e: int = 0  # entity index
    k: tuple[int, int] | None = None  # last (change_txid, id) handed out in entity e
    at: int = 0  # when the round that made it ended (epoch seconds)

    def encode(self) -> str:
        return base64.urlsafe_b64encode(self.model_dump_json().encode()).decode()

    @classmethod
    def decode(cls, text: str | None, terminal_id: int, now: float) -> tuple["Cursor", bool]:
        """(cursor, reset): a foreign, stale-version, too old or garbled cursor means a
        full resync from the beginning; no cursor is simply a first sync."""
        if text:
            try:
                cursor = cls.model_validate_json(base64.urlsafe_b64decode(text.encode()))
                fresh = cursor.hi is not None or now - cursor.at <= CURSOR_MAX_AGE_S
                if cursor.v == CURSOR_VERSION and cursor.t == terminal_id and fresh:
                    return cursor, False
            except (ValidationError, binascii.Error, ValueError, json.JSONDecodeError):
                pass
            return cls(t=terminal_id), True
        return cls(t=terminal_id), False


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    model: Any
    scope: Callable[[StoreActor], Any]
    render: Callable[[Any], dict[str, Any]]


def _card(c: Card) -> dict[str, Any]:
    return {
        "id": c.id,
        "card_number": c.card_number,
        "customer_id": c.customer_id,
        "qr_code_data": c.qr_code_data,
        "enrolled_at_store_id": c.enrolled_at_store_id,
        "is_active": c.is_active,
        "stamp_count": c.stamp_count,
        "total_stamps_earned": c.total_stamps_earned,
        "stamps_redeemed": c.stamps_redeemed,
        "total_stamps_voided": c.total_stamps_voided,
        "points_balance": c.points_balance,
        "total_points_earned": c.total_points_earned,
        "points_redeemed": c.points_redeemed,
        "total_points_voided": c.total_points_voided,
        "total_points_adjusted": c.total_points_adjusted,
        "stamps_day": c.stamps_day.isoformat() if c.stamps_day else None,
        "stamps_on_day": c.stamps_on_day,
        "last_stamp_at": _iso(c.last_stamp_at),
        "last_points_at": _iso(c.last_points_at),
        "last_redemption_at": _iso(c.last_redemption_at),
        "last_activity_at": _iso(c.last_activity_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


ENTITIES: tuple[Entity, ...] = (
    Entity(
        "customers",
        Customer,
        lambda a: Customer.merchant_id == a.merchant_id,
        lambda c: {"id": c.id, "email": c.email, "name": c.name, "phone": c.phone},
    ),
    Entity("cards", Card, lambda a: Card.merchant_id == a.merchant_id, _card),
    Entity(
        "aliases",
        CardAlias,
        lambda a: CardAlias.merchant_id == a.merchant_id,
        lambda x: {"card_number": x.card_number, "card_id": x.card_id},
    ),
    Entity(
        "staff_pins",
        StaffPin,
        lambda a: StaffPin.store_id == a.store_id,
        lambda p: {
            "id": p.id,
            "name": p.name,
            "staff_id": p.staff_id,
            "pin_hash": p.pin_hash,
            "is_active": p.is_active and p.deleted_at is None,
            "deleted": p.deleted_at is not None,
            "failed_attempts": p.failed_attempts,
            "locked_until": _iso(p.locked_until),
        },
    ),
    Entity(
        "transactions",
        LedgerEntry,
        lambda a: LedgerEntry.store_id == a.store_id,
        lambda e: {
            "id": e.id,
            "card_id": e.card_id,
            "type": e.type,
            "stamps_delta": e.stamps_delta,
            "points_delta": e.points_delta,
            "order_reference": e.order_reference,
            "related_transaction_id": e.related_transaction_id,
            "reward_id": e.reward_id,
            "created_at": _iso(e.created_at),
        },
    ),
    Entity(
        "op_outcomes",
        SyncOp,
        lambda a: SyncOp.terminal_id == a.terminal_id,
        lambda o: {
            "op_id": o.op_id,
            "seq": o.seq,
            "status": o.status,
            "code": o.code,
            "message": o.message,
            "result": o.result,
        },
    ),
)


@dataclass
class PullPage:
    changes: dict[str, list[dict[str, Any]]]
    cursor: str
    has_more: bool
    reset: bool
    caught_up: bool


def pull(
    session: Session, actor: StoreActor, cursor_text: str | None, limit: int, now: datetime
) -> PullPage:
    assert actor.terminal_id is not None
    cursor, reset = Cursor.decode(cursor_text, actor.terminal_id, now.timestamp())
    now_horizon = horizon(session)
    hi = cursor.hi if cursor.hi is not None else now_horizon.value
    changes: dict[str, list[dict[str, Any]]] = {e.name: [] for e in ENTITIES}
    room, index, key = limit, cursor.e, cursor.k
    while index < len(ENTITIES) and room > 0:
        entity = ENTITIES[index]
        rows = session.scalars(_page(entity, actor, cursor.lo, hi, key, room)).unique().all()
        changes[entity.name].extend(entity.render(r) for r in rows)
        room -= len(rows)
        if room > 0:  # this entity is exhausted for the round
            index, key = index + 1, None
        else:
            key = (rows[-1].change_txid, rows[-1].id)
    if index >= len(ENTITIES):
        done = Cursor(t=actor.terminal_id, lo=hi, at=int(now.timestamp()))
        caught_up = now_horizon.caught_up and hi >= now_horizon.value
        return PullPage(changes, done.encode(), has_more=False, reset=reset, caught_up=caught_up)
    more = Cursor(t=actor.terminal_id, lo=cursor.lo, hi=hi, e=index, k=key)
    return PullPage(changes, more.encode(), has_more=True, reset=reset, caught_up=False)


def _page(
    entity: Entity, actor: StoreActor, lo: int, hi: int, key: tuple[int, int] | None, limit: int
) -> Select[Any]:
    model = entity.model
    stamp, ident = model.change_txid, model.id
    stmt = select(model).where(entity.scope(actor), stamp >= lo, stamp < hi)
    if key is not None:
        stmt = stmt.where(or_(stamp > key[0], and_(stamp == key[0], ident > key[1])))
    return stmt.order_by(stamp, ident).limit(limit)


def merchant_qr_key(session: Session, merchant_id: int) -> str:
    return session.get_one(Merchant, merchant_id).qr_key
