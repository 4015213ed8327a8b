"""One customer and everything held about them: for export and erasure.

Row locks follow the push's lock order (docs/sync-protocol.md, "Lock order"): the
customer's cards in id order, then the customer, then the attention items (sync ops)
about them; the ledger chain head, if anything takes it, comes last."""

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, Select, Text, and_, cast, or_, select
from sqlalchemy.orm import Session

from sync_server.models import Card, Customer, CustomerErasure, LedgerEntry, Merchant, Store
from sync_server.models.sync import CardAlias, SyncOp


def get(session: Session, merchant_id: int, customer_id: int) -> Customer | None:
    """Another merchant's customer is not found, like a missing one."""
    stmt = select(Customer).where(Customer.merchant_id == merchant_id, Customer.id == customer_id)
    return session.scalars(stmt).one_or_none()


def by_email(session: Session, merchant_id: int, email: str) -> Customer | None:
    """Emails are stored lower-cased (cards.lock_or_create_customer)."""
    stmt = select(Customer).where(
        Customer.merchant_id == merchant_id, Customer.email == email.strip().lower()
    )
    return session.scalars(stmt).one_or_none()


def cards_of(session: Session, customer_id: int) -> Sequence[Card]:
    stmt = select(Card).where(Card.customer_id == customer_id).order_by(Card.id)
    return session.scalars(stmt).unique().all()


def lock_cards(session: Session, card_ids: Iterable[int]) -> Sequence[Card]:
    """FOR UPDATE, in id order (the lock order's step for cards)."""
    ids = sorted(set(card_ids))
    if not ids:
        return []
    stmt = (
        select(Card)
        .where(Card.id.in_(ids))
        .order_by(Card.id)
        .with_for_update(of=Card)
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).unique().all()


def lock(session: Session, customer_id: int) -> Customer:
    stmt = (
        select(Customer)
        .where(Customer.id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one()


def aliases_of(session: Session, card_ids: Iterable[int]) -> Sequence[CardAlias]:
    ids = set(card_ids)
    if not ids:
        return []
    stmt = select(CardAlias).where(CardAlias.card_id.in_(ids)).order_by(CardAlias.id)
    return session.scalars(stmt).all()


def ledger_of(session: Session, card_ids: Iterable[int]) -> Sequence[LedgerEntry]:
    ids = set(card_ids)
    if not ids:
        return []
    stmt = select(LedgerEntry).where(LedgerEntry.card_id.in_(ids)).order_by(LedgerEntry.id)
    return session.scalars(stmt).all()


def store_names(session: Session, merchant_id: int) -> dict[int, str]:
    rows = session.execute(select(Store.id, Store.name).where(Store.merchant_id == merchant_id))
    return {int(i): str(n) for i, n in rows}


def _ops_about(merchant_id: int, card_numbers: Iterable[str], email: str | None) -> Select[SyncOp]:
    """Ops naming one of the cards, or carrying the email anywhere in their body (an
    enrollment refused before it made a card)."""
    about: list[ColumnElement[bool]] = [SyncOp.card_number.in_(set(card_numbers))]
    if email:
        about.append(cast(SyncOp.body, Text).contains(email, autoescape=True))
    return select(SyncOp).where(SyncOp.merchant_id == merchant_id, or_(*about))


def ops_about(
    session: Session, merchant_id: int, card_numbers: Iterable[str], email: str | None
) -> Sequence[SyncOp]:
    stmt = _ops_about(merchant_id, card_numbers, email)
    return session.scalars(stmt.order_by(SyncOp.id)).all()


def lock_ops_about(
    session: Session, merchant_id: int, card_numbers: Iterable[str], email: str | None
) -> Sequence[SyncOp]:
    stmt = _ops_about(merchant_id, card_numbers, email)
    locked = stmt.order_by(SyncOp.id).with_for_update().execution_options(populate_existing=True)
    return session.scalars(locked).all()


def _acknowledgements(ops: Sequence[SyncOp]) -> Select[SyncOp] | None:
    """A till's ``attention.acknowledge`` and ``attention.resolve`` ops naming these
    ops: their note or reason may be about the customer too."""
    seen = [op for op in ops if op.acknowledged_at is not None]
    if not seen:
        return None
    naming = [
        and_(SyncOp.terminal_id == op.terminal_id, cast(SyncOp.body, Text).contains(op.op_id))
        for op in seen
    ]
    kinds = ("attention.acknowledge", "attention.resolve")
    return select(SyncOp).where(SyncOp.op_type.in_(kinds), or_(*naming))


def acknowledgements(session: Session, ops: Sequence[SyncOp]) -> Sequence[SyncOp]:
    stmt = _acknowledgements(ops)
    return session.scalars(stmt.order_by(SyncOp.id)).all() if stmt is not None else []


def lock_acknowledgements(session: Session, ops: Sequence[SyncOp]) -> Sequence[SyncOp]:
    stmt = _acknowledgements(ops)
    if stmt is None:
        return []
    locked = stmt.order_by(SyncOp.id).with_for_update()
    return session.scalars(locked.execution_options(populate_existing=True)).all()


def log_erasure(session: Session, entry: CustomerErasure) -> None:
    session.add(entry)
    session.flush()


def erasures(session: Session, merchant_id: int | None = None) -> Sequence[CustomerErasure]:
    stmt = select(CustomerErasure).order_by(CustomerErasure.id)
    if merchant_id is not None:
        stmt = stmt.where(CustomerErasure.merchant_id == merchant_id)
    return session.scalars(stmt).all()


def erasure_of(session: Session, merchant_id: int, customer_id: int) -> CustomerErasure | None:
    stmt = (
        select(CustomerErasure)
        .where(
            CustomerErasure.merchant_id == merchant_id,
            CustomerErasure.customer_id == customer_id,
        )
        .order_by(CustomerErasure.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def merchant_exists(session: Session, merchant_id: int) -> bool:
    return session.get(Merchant, merchant_id) is not None
