"""Cards and customers of one merchant; the card row lock is taken here."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from sync_server.models import Card, Customer, NumberAllocator, WalletPass, WalletRegistration
from sync_server.models.sync import CardAlias
from sync_server.repositories.upsert import insert_ignore


def lock_by_number(
    session: Session, merchant_id: int, card_number: str, *, nowait: bool = False
) -> Card | None:
    """SELECT … FOR UPDATE: every rule is checked after this, never before.

    A number merged into another card (an offline enrollment) locks that card. The card
    number is looked up first, then the alias, as get_by_number_or_alias does: a lookup
    and an operation always resolve a number to the same card.

    ``nowait``: for a transaction that already holds locks which come after cards in
    the lock order (docs/sync-protocol.md); a card held elsewhere then fails at once
    with lock_not_available (55P03), and the caller starts over, in order."""
    card_id = session.scalar(
        select(Card.id).where(Card.merchant_id == merchant_id, Card.card_number == card_number)
    )
    if card_id is None:
        card_id = session.scalar(
            select(CardAlias.card_id).where(
                CardAlias.merchant_id == merchant_id, CardAlias.card_number == card_number
            )
        )
    if card_id is None:
        return None
    stmt = (
        select(Card)
        .where(Card.merchant_id == merchant_id, Card.id == card_id)
        .with_for_update(of=Card, nowait=nowait)
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).unique().one_or_none()


def number_taken(session: Session, card_number: str) -> bool:
    """Is this number a card's or an alias's, of any merchant (numbers are unique)?"""
    as_card = select(Card.id).where(Card.card_number == card_number)
    as_alias = select(CardAlias.card_id).where(CardAlias.card_number == card_number)
    return session.scalar(as_card.union_all(as_alias).limit(1)) is not None


def lock_node(session: Session, node: int) -> None:
    """Serialize enrollments of one issuing node: with its allocator row locked, the
    check that a number is free and the insert that takes it cannot interleave."""
    insert_ignore(session, NumberAllocator, {"node": node, "next_serial": 1})
    session.execute(
        select(NumberAllocator.node).where(NumberAllocator.node == node).with_for_update()
    )


def last_change(session: Session, merchant_id: int, card_number: str) -> datetime | None:
    """When the card a number resolves to was last written (None: no such card)."""
    card = get_by_number_or_alias(session, merchant_id, card_number)
    return card.updated_at if card is not None else None


def get(session: Session, merchant_id: int, card_id: int) -> Card | None:
    stmt = select(Card).where(Card.merchant_id == merchant_id, Card.id == card_id)
    return session.scalars(stmt).unique().one_or_none()


def get_by_number(session: Session, merchant_id: int, card_number: str) -> Card | None:
    stmt = select(Card).where(Card.merchant_id == merchant_id, Card.card_number == card_number)
    return session.scalars(stmt).unique().one_or_none()


def get_by_number_or_alias(session: Session, merchant_id: int, card_number: str) -> Card | None:
    """A printed card keeps working after its number was merged into another card."""
    card = get_by_number(session, merchant_id, card_number)
    if card is not None:
        return card
    stmt = (
        select(Card)
        .join(CardAlias, CardAlias.card_id == Card.id)
        .where(CardAlias.merchant_id == merchant_id, CardAlias.card_number == card_number)
    )
    return session.scalars(stmt).unique().one_or_none()


def by_ids(session: Session, ids: set[int]) -> Sequence[Card]:
    return session.scalars(select(Card).where(Card.id.in_(ids))).unique().all() if ids else []


def get_by_customer(session: Session, customer_id: int) -> Card | None:
    return session.scalars(select(Card).where(Card.customer_id == customer_id)).unique().first()


def search(session: Session, merchant_id: int, query: str) -> Card | None:
    """Card number first, then exact email, then the first name match."""
    digits = query.replace(" ", "").replace("-", "")
    base = select(Card).join(Customer).where(Card.merchant_id == merchant_id)
    for condition in (
        Card.card_number == digits,
        func.lower(Customer.email) == query.strip().lower(),
        func.lower(Customer.name).contains(query.strip().lower(), autoescape=True),
    ):
        card = session.scalars(base.where(condition).order_by(Card.id).limit(1)).first()
        if card is not None:
            return card
    return None


def list_page(
    session: Session,
    merchant_id: int,
    *,
    skip: int,
    limit: int,
    is_active: bool | None,
    search: str | None,
    enrolled_at_store_id: int | None,
) -> tuple[Sequence[Card], int]:
    stmt = select(Card).join(Customer).where(Card.merchant_id == merchant_id)
    if is_active is not None:
        stmt = stmt.where(Card.is_active == is_active)
    if enrolled_at_store_id is not None:
        stmt = stmt.where(Card.enrolled_at_store_id == enrolled_at_store_id)
    if search:
        needle = search.strip().lower()
        stmt = stmt.where(
            or_(
                Card.card_number.contains(needle.replace(" ", ""), autoescape=True),
                func.lower(Customer.email).contains(needle, autoescape=True),
                func.lower(Customer.name).contains(needle, autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = session.scalars(stmt.order_by(Card.id.desc()).offset(skip).limit(limit)).unique()
    return page.all(), total


def next_serial(session: Session, node: int) -> int:
    """Allocate a serial for ``node``; the allocator row stays locked until commit."""
    insert_ignore(session, NumberAllocator, {"node": node, "next_serial": 1})
    stmt = (
        update(NumberAllocator)
        .where(NumberAllocator.node == node)
        .values(next_serial=NumberAllocator.next_serial + 1)
        .returning(NumberAllocator.next_serial)
    )
    return int(session.execute(stmt).scalar_one()) - 1


def get_customer(session: Session, merchant_id: int, customer_id: int) -> Customer | None:
    stmt = select(Customer).where(Customer.merchant_id == merchant_id, Customer.id == customer_id)
    return session.scalars(stmt).one_or_none()


def lock_or_create_customer(
    session: Session, merchant_id: int, email: str, name: str | None, phone: str | None
) -> Customer:
    """Get-or-create by (merchant, email) and lock it, so one customer gets one card."""
    email = email.strip().lower()
    created = insert_ignore(
        session,
        Customer,
        {"merchant_id": merchant_id, "email": email, "name": name, "phone": phone},
    )
    stmt = (
        select(Customer)
        .where(Customer.merchant_id == merchant_id, Customer.email == email)
        .with_for_update()
    )
    customer = session.scalars(stmt).one()
    if created:
        flag_modified(customer, "email")  # a core INSERT skips the change stamp: stamp it
    return customer


def lock_customer(session: Session, customer: Customer) -> None:
    session.execute(select(Customer.id).where(Customer.id == customer.id).with_for_update())


@dataclass(frozen=True, slots=True)
class CardWallets:
    """What a card's customer carries: an Apple pass handed out, a Google object made."""

    apple: bool = False
    google: bool = False


NO_WALLET = CardWallets()


def wallets_of(session: Session, card_ids: Collection[int]) -> dict[int, CardWallets]:
    """One query for a whole page of cards (a card without a pass is left out)."""
    if not card_ids:
        return {}
    stmt = select(
        WalletPass.card_id, WalletPass.apple_issued_at, WalletPass.google_object_id
    ).where(WalletPass.card_id.in_(card_ids))
    return {
        card_id: CardWallets(apple=issued is not None, google=bool(google_id))
        for card_id, issued, google_id in session.execute(stmt)
    }


@dataclass(frozen=True, slots=True)
class WalletCounts:
    apple_cards: int
    google_cards: int
    devices: int


def wallet_counts(session: Session, merchant_id: int) -> WalletCounts:
    passes = select(
        func.count(WalletPass.apple_issued_at), func.count(WalletPass.google_object_id)
    ).where(WalletPass.merchant_id == merchant_id)
    apple, google = session.execute(passes).one()
    devices = select(func.count(func.distinct(WalletRegistration.device_library_id))).where(
        WalletRegistration.pass_id.in_(
            select(WalletPass.id).where(WalletPass.merchant_id == merchant_id)
        )
    )
    return WalletCounts(int(apple), int(google), int(session.scalar(devices) or 0))
