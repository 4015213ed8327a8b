"""The append-only ledger: appending entries and the facts voids and earns depend on."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from common.ledger import VOID_OF, OriginalEntry, TransactionType
from sync_server.ledger_chain import mark_unsealed
from sync_server.models import LedgerEntry


def original_by_id(session: Session, card_id: int, entry_id: int) -> OriginalEntry | None:
    """An entry of this card only: an id from another card or merchant is 'not found'."""
    stmt = select(LedgerEntry).where(LedgerEntry.card_id == card_id, LedgerEntry.id == entry_id)
    return _as_original(session, session.scalars(stmt).one_or_none())


def original_by_order_reference(
    session: Session, card_id: int, order_reference: str
) -> OriginalEntry | None:
    stmt = select(LedgerEntry).where(
        LedgerEntry.card_id == card_id,
        LedgerEntry.type == TransactionType.POINTS_EARNED,
        LedgerEntry.order_reference == order_reference,
    )
    return _as_original(session, session.scalars(stmt).one_or_none())


def order_reference_used(session: Session, card_id: int, order_reference: str) -> bool:
    return original_by_order_reference(session, card_id, order_reference) is not None


def _as_original(session: Session, entry: LedgerEntry | None) -> OriginalEntry | None:
    if entry is None:
        return None
    kind = TransactionType(entry.type)
    voided_stamps = voided_points = 0
    void_type = VOID_OF.get(kind)
    if void_type is not None:
        stamps, points = session.execute(
            select(
                func.coalesce(func.sum(-LedgerEntry.stamps_delta), 0),
                func.coalesce(func.sum(-LedgerEntry.points_delta), 0),
            ).where(LedgerEntry.related_transaction_id == entry.id, LedgerEntry.type == void_type)
        ).one()
        voided_stamps, voided_points = int(stamps), int(points)
    return OriginalEntry(
        id=entry.id,
        type=kind,
        stamps_delta=entry.stamps_delta,
        points_delta=entry.points_delta,
        stamps_already_voided=voided_stamps,
        points_already_voided=voided_points,
    )


def add(session: Session, entries: Sequence[LedgerEntry]) -> None:
    """Entries join their merchant's hash chain when the transaction commits."""
    mark_unsealed(session)
    session.add_all(entries)
    session.flush()


def _page(
    session: Session, stmt: Select[LedgerEntry], skip: int, limit: int
) -> tuple[Sequence[LedgerEntry], int]:
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(LedgerEntry.id.desc()).offset(skip).limit(limit)).all()
    return rows, total


def for_card(
    session: Session, card_id: int, skip: int, limit: int
) -> tuple[Sequence[LedgerEntry], int]:
    return _page(session, select(LedgerEntry).where(LedgerEntry.card_id == card_id), skip, limit)


def for_merchant(
    session: Session, merchant_id: int, store_id: int | None, skip: int, limit: int
) -> tuple[Sequence[LedgerEntry], int]:
    stmt = select(LedgerEntry).where(LedgerEntry.merchant_id == merchant_id)
    if store_id is not None:
        stmt = stmt.where(LedgerEntry.store_id == store_id)
    return _page(session, stmt, skip, limit)


def count_by_type_since(
    session: Session, merchant_id: int, since: datetime, store_id: int | None = None
) -> dict[str, tuple[int, int, int]]:
    """type -> (entries, stamps_delta sum, points_delta sum) since a moment."""
    stmt = (
        select(
            LedgerEntry.type,
            func.count(),
            func.coalesce(func.sum(LedgerEntry.stamps_delta), 0),
            func.coalesce(func.sum(LedgerEntry.points_delta), 0),
        )
        .where(LedgerEntry.merchant_id == merchant_id, LedgerEntry.created_at >= since)
        .group_by(LedgerEntry.type)
    )
    if store_id is not None:
        stmt = stmt.where(LedgerEntry.store_id == store_id)
    return {kind: (int(n), int(s), int(p)) for kind, n, s, p in session.execute(stmt)}
