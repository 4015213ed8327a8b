"""Set-at-a-time SQL for applying a pushed batch: a handful of statements per batch
instead of a dozen per op. The batch's cards, then its staff PINs, then its
enrollments' customers are each locked by one SELECT … FOR UPDATE in id order, so two
batches touching the same rows queue instead of deadlocking (docs/sync-protocol.md,
"Lock order")."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, any_, bindparam, func, or_, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from common.card import CardState
from common.ledger import TransactionType
from sync_server.models import Card, Customer, LedgerEntry, StaffPin
from sync_server.models.sync import CardAlias, SyncOp
from sync_server.repositories.bulk_sql import PG_TXID, is_postgres, pg_insert, update_rows
from sync_server.services.card_state import STATE_FIELDS
from sync_server.sync.changes import change_stamp

_CARDS = cast(Table, Card.__table__)
_LEDGER = cast(Table, LedgerEntry.__table__)
_OPS = cast(Table, SyncOp.__table__)
_PINS = cast(Table, StaffPin.__table__)


def claim(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Claim (terminal, op_id) for every op at once: op_id -> claimed row id, for the
    ops nobody claimed before (INSERT … ON CONFLICT DO NOTHING RETURNING).

    Rows go in seq order, so two requests racing with the same ops wait on the first
    shared op before holding any other; the loser then sees the winner's claims."""
    if is_postgres(session):
        found = pg_insert(session, _OPS, rows, returning=("id", "op_id"), ignore_conflicts=True)
        return {str(op_id): int(row_id) for row_id, op_id in found}
    stmt = sqlite.insert(_OPS).on_conflict_do_nothing().returning(_OPS.c.id, _OPS.c.op_id)
    result = session.connection().execute(stmt, list(rows))
    return {op_id: int(row_id) for row_id, op_id in result}


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
        self.ids[state.card_number] = card_id
        for number in numbers:  # an alias never shadows a card's own number
            self.ids.setdefault(number, card_id)


def _among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(%s)`` with one array
    parameter: the statement's text is the same for every batch size, so it is built,
    converted and (by psycopg, after a few runs) prepared once, where an ``IN`` list of
    a hundred placeholders was new text for each size."""
    if not is_postgres(session):
        return cast(ColumnElement[bool], column.in_(values))
    array = postgresql.ARRAY(column.type)
    return cast(ColumnElement[bool], column == any_(bindparam(None, sorted(values), array)))


def lock_cards(
    session: Session, merchant_id: int, numbers: set[str], ids: Iterable[int] = ()
) -> LockedCards:
    """Lock the cards ``numbers`` name (a merged alias: its card) and the cards ``ids``,
    all in one statement in id order."""
    locked = LockedCards()
    aliases: dict[str, int] = {}
    if numbers:
        aliases = {
            number: int(card_id)
            for number, card_id in session.execute(
                select(CardAlias.card_number, CardAlias.card_id).where(
                    CardAlias.merchant_id == merchant_id,
                    _among(session, CardAlias.card_number, numbers),
                )
            )
        }
    by_ids = set(aliases.values()) | set(ids)
    if not numbers and not by_ids:
        return locked
    match: ColumnElement[bool] = _among(session, _CARDS.c.card_number, numbers)
    if by_ids:
        match = or_(match, _among(session, _CARDS.c.id, by_ids))
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


def cards_of_customers(session: Session, merchant_id: int, emails: set[str]) -> set[int]:
    """The cards of these customers (by email, as enrollments match them): an offline
    enrollment of one of them merges into that card, so the batch locks it up front."""
    if not emails:
        return set()
    stmt = (
        select(_CARDS.c.id)
        .join(Customer, Customer.id == _CARDS.c.customer_id)
        .where(
            Customer.merchant_id == merchant_id,
            Customer.email.in_({e.strip().lower() for e in emails}),
        )
    )
    return {int(card_id) for card_id in session.scalars(stmt)}


def lock_staff_pins(session: Session, store_id: int, ids: set[int]) -> dict[int, bool]:
    """Lock the visible (not deleted) PINs of this store among ``ids``, in id order:
    id -> is_active. Later writes to them in the batch (last use, wrong PINs, forgiven
    mistakes) then wait on nothing."""
    if not ids:
        return {}
    stmt = (
        select(_PINS.c.id, _PINS.c.is_active)
        .where(_PINS.c.store_id == store_id, _PINS.c.deleted_at.is_(None), _PINS.c.id.in_(ids))
        .order_by(_PINS.c.id)
        .with_for_update()
    )
    return {int(pin_id): bool(active) for pin_id, active in session.execute(stmt)}


def lock_customers(session: Session, merchant_id: int, emails: set[str]) -> None:
    """Lock the existing customers the batch's enrollments name, in id order."""
    if not emails:
        return
    stmt = (
        select(Customer.id)
        .where(
            Customer.merchant_id == merchant_id,
            Customer.email.in_({e.strip().lower() for e in emails}),
        )
        .order_by(Customer.id)
        .with_for_update()
    )
    session.execute(stmt).all()


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
    rows = [
        {"id": card_id, **{f: getattr(state, f) for f in STATE_FIELDS}, "updated_at": now}
        for card_id, state in sorted(states.items())
    ]
    update_rows(session, _CARDS, rows, extra={"change_txid": _stamp(session)})


def allocate_entry_ids(session: Session, n: int) -> list[int]:
    """Ids for ledger rows about to be written, so outcomes and the hash chain can name
    them before the insert. SQLite: the transaction holds the database's write lock and
    inserts these rows before any other ledger row."""
    if n == 0:
        return []
    if is_postgres(session):
        stmt = text(
            "SELECT nextval(pg_get_serial_sequence('ledger_entries', 'id')) "
            "FROM generate_series(1, :n)"
        )
        return [int(i) for (i,) in session.execute(stmt, {"n": n})]
    top = int(session.scalar(select(func.coalesce(func.max(_LEDGER.c.id), 0))) or 0)
    return list(range(top + 1, top + n + 1))


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ledger rows that already carry their ids."""
    if not rows:
        return
    if is_postgres(session):
        pg_insert(session, _LEDGER, rows, returning=("id",), extra={"change_txid": PG_TXID})
        return
    stmt = _LEDGER.insert().values(change_txid=change_stamp(session))
    session.connection().execute(stmt, list(rows))


def store_outcomes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """rows: id, status, code, message, result, redeemed_points."""
    update_rows(session, _OPS, rows, extra={"change_txid": _stamp(session)})


def touch_staff(session: Session, last_used: Mapping[int, datetime]) -> None:
    rows = [{"id": pin_id, "last_used_at": at} for pin_id, at in sorted(last_used.items())]
    update_rows(session, _PINS, rows, extra={"change_txid": _stamp(session)})


def _stamp(session: Session) -> Any:
    return PG_TXID if is_postgres(session) else change_stamp(session)
