"""Set-at-a-time SQL for applying a pushed batch: a handful of statements per batch
instead of a dozen per op. Every card of the batch is locked by one ordered
SELECT … FOR UPDATE, so two batches touching the same cards queue instead of
deadlocking."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from common.card import CardState
from common.ledger import TransactionType
from sync_server.changes import change_stamp
from sync_server.models import Card, LedgerEntry, StaffPin
from sync_server.models.sync import CardAlias, SyncOp
from sync_server.services.card_state import STATE_FIELDS

_CARDS = cast(Table, Card.__table__)
_LEDGER = cast(Table, LedgerEntry.__table__)
_OPS = cast(Table, SyncOp.__table__)
_PINS = cast(Table, StaffPin.__table__)
_CHUNK = 500  # rows per multi-row INSERT: well inside SQLite's bound-parameter limit


def claim(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Claim (terminal, op_id) for every op at once: op_id -> claimed row id, for the
    ops nobody claimed before (INSERT … ON CONFLICT DO NOTHING RETURNING).

    Rows go in seq order, so two requests racing with the same ops wait on the first
    shared op before holding any other; the loser then sees the winner's claims."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    claimed: dict[str, int] = {}
    for start in range(0, len(rows), _CHUNK):
        stmt = (
            dialect.insert(_OPS)
            .values(list(rows[start : start + _CHUNK]))
            .on_conflict_do_nothing()
            .returning(_OPS.c.id, _OPS.c.op_id)
        )
        claimed.update({op_id: int(row_id) for row_id, op_id in session.execute(stmt)})
    return claimed


def existing_ops(session: Session, terminal_id: int, op_ids: Iterable[str]) -> dict[str, SyncOp]:
    stmt = select(SyncOp).where(SyncOp.terminal_id == terminal_id, SyncOp.op_id.in_(op_ids))
    return {row.op_id: row for row in session.scalars(stmt)}


@dataclass
class LockedCards:
    """The batch's cards, locked: number (or merged alias) -> id, id -> state."""

    ids: dict[str, int] = field(default_factory=dict)
    states: dict[int, CardState] = field(default_factory=dict)

    def add(self, card_id: int, state: CardState, *numbers: str) -> None:
        self.states[card_id] = state
        for number in (state.card_number, *numbers):
            self.ids[number] = card_id


def lock_cards(session: Session, merchant_id: int, numbers: set[str]) -> LockedCards:
    locked = LockedCards()
    if not numbers:
        return locked
    aliases: dict[str, int] = {
        number: int(card_id)
        for number, card_id in session.execute(
            select(CardAlias.card_number, CardAlias.card_id).where(
                CardAlias.merchant_id == merchant_id, CardAlias.card_number.in_(numbers)
            )
        )
    }
    match: ColumnElement[bool] = _CARDS.c.card_number.in_(numbers)
    if aliases:
        match = or_(match, _CARDS.c.id.in_(set(aliases.values())))
    stmt = (
        select(_CARDS.c.id, _CARDS.c.card_number, *(_CARDS.c[f] for f in STATE_FIELDS))
        .where(_CARDS.c.merchant_id == merchant_id, match)
        .order_by(_CARDS.c.id)
        .with_for_update()
    )
    by_id: dict[int, list[str]] = {}
    for number, card_id in aliases.items():
        by_id.setdefault(card_id, []).append(number)
    for row in session.execute(stmt).mappings():
        state = CardState(card_number=row["card_number"], **{f: row[f] for f in STATE_FIELDS})
        locked.add(int(row["id"]), state, *by_id.get(int(row["id"]), []))
    return locked


def staff_pins(session: Session, store_id: int, ids: set[int]) -> dict[int, bool]:
    """Visible (not deleted) PINs of this store among ``ids``: id -> is_active."""
    if not ids:
        return {}
    stmt = select(_PINS.c.id, _PINS.c.is_active).where(
        _PINS.c.store_id == store_id, _PINS.c.deleted_at.is_(None), _PINS.c.id.in_(ids)
    )
    return {int(pin_id): bool(active) for pin_id, active in session.execute(stmt)}


def earned_order_references(session: Session, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (card id, order reference) pairs already have an earn."""
    if not pairs:
        return set()
    stmt = select(_LEDGER.c.card_id, _LEDGER.c.order_reference).where(
        _LEDGER.c.type == TransactionType.POINTS_EARNED.value,
        tuple_(_LEDGER.c.card_id, _LEDGER.c.order_reference).in_(sorted(pairs)),
    )
    return {(int(card_id), str(ref)) for card_id, ref in session.execute(stmt)}


def write_cards(session: Session, states: Mapping[int, CardState], now: datetime) -> None:
    if not states:
        return
    stmt = (
        update(_CARDS)
        .where(_CARDS.c.id == bindparam("_id"))
        .values({f: bindparam(f"v_{f}", type_=_CARDS.c[f].type) for f in STATE_FIELDS})
        .values(updated_at=now, change_txid=change_stamp(session))
    )
    params = [
        {"_id": card_id, **{f"v_{f}": getattr(state, f) for f in STATE_FIELDS}}
        for card_id, state in sorted(states.items())
    ]
    session.connection().execute(stmt, params)


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ledger rows; their ids, in the order given."""
    if not rows:
        return []
    stmt = (
        _LEDGER.insert()
        .values(change_txid=change_stamp(session))
        .returning(_LEDGER.c.id, sort_by_parameter_order=True)
    )
    result = session.connection().execute(stmt, list(rows))
    return [int(row_id) for (row_id,) in result]


def store_outcomes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """rows: _id, status, code, message, result, redeemed_points."""
    if not rows:
        return
    stmt = (
        update(_OPS)
        .where(_OPS.c.id == bindparam("_id"))
        .values(
            status=bindparam("v_status"),
            code=bindparam("v_code"),
            message=bindparam("v_message"),
            result=bindparam("v_result", type_=_OPS.c.result.type),
            redeemed_points=bindparam("v_redeemed_points"),
            change_txid=change_stamp(session),
        )
    )
    params = [{"_id": r["_id"], **{f"v_{k}": v for k, v in r.items() if k != "_id"}} for r in rows]
    session.connection().execute(stmt, params)


def touch_staff(session: Session, last_used: Mapping[int, datetime]) -> None:
    if not last_used:
        return
    stmt = (
        update(_PINS)
        .where(and_(_PINS.c.id == bindparam("_id")))
        .values(last_used_at=bindparam("v_at", type_=_PINS.c.last_used_at.type))
        .values(change_txid=change_stamp(session))
    )
    params = [{"_id": pin_id, "v_at": at} for pin_id, at in sorted(last_used.items())]
    session.connection().execute(stmt, params)
