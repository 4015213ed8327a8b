"""Demo data: one merchant, two stores, a hybrid program, staff, customers and cards.

Everything goes through the services the API uses, so the demo shows real ledger
entries; the credentials are fixed so a second run can print them again."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.operations import AddStamp, CustomerDetails, EarnPoints, Enroll, Operation
from common.outcome import Rejected
from sync_server.actor import RequestMeta, Role, StoreActor
from sync_server.auth import accounts
from sync_server.config import Settings
from sync_server.models import Card, Merchant, StaffPin, Store, User
from sync_server.repositories import cards as card_repo
from sync_server.services import operations, programs, staff_pins

MERCHANT = "Demo Café"
OWNER_EMAIL = "demo@example.com"
OWNER_PASSWORD = "demo-owner-2026"  # noqa: S105 - printed demo credentials, demo only
MANAGER_PASSWORD = "demo-manager-2026"  # noqa: S105
TIMEZONE = "Europe/Paris"

PROGRAM = {
    "loyalty_type": "hybrid",
    "display_name": "Demo Café Rewards",
    "stamps_target": 10,
    "stamps_reward_description": "Free coffee",
    "cooldown_minutes": 15,
    "max_daily_stamps": 5,
    "points_per_currency_unit": 1,
    "points_rewards": [
        {"id": "coffee", "name": "Free coffee", "points_required": 50, "is_active": True},
        {"id": "cake", "name": "Slice of cake", "points_required": 120, "is_active": True},
        {"id": "mug", "name": "Retired mug", "points_required": 500, "is_active": False},
    ],
    "welcome_bonus_points": 10,
    "require_staff_pin": True,
    "is_active": True,
}
# Store name -> staff name -> PIN (unique within a store).
STORES: dict[str, dict[str, str]] = {
    "Demo Café — Centre": {"Alice": "1234", "Bruno": "2345", "Chloé": "3456"},
    "Demo Café — Gare": {"Dmitri": "4321", "Emma": "5432"},
}
CUSTOMERS = [
    ("lea.martin@example.com", "Léa Martin", "+33 6 12 34 56 01"),
    ("hugo.bernard@example.com", "Hugo Bernard", None),
    ("ines.petit@example.com", "Inès Petit", "+33 6 12 34 56 03"),
    ("tom.durand@example.com", "Tom Durand", None),
    ("zoe.leroy@example.com", "Zoé Leroy", None),
    ("noah.moreau@example.com", "Noah Moreau", "+33 6 12 34 56 06"),
    ("jade.simon@example.com", "Jade Simon", None),
    ("louis.laurent@example.com", "Louis Laurent", None),
]


@dataclass
class DemoInfo:
    merchant_id: int
    stores: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, manager
    staff: list[tuple[int, str, str]] = field(default_factory=list)  # store id, name, PIN
    cards: list[tuple[str, str, str]] = field(default_factory=list)  # number, name, QR


def has_data(session: Session) -> bool:
    return session.scalars(select(Merchant.id).limit(1)).first() is not None


def seed_demo(session: Session, settings: Settings) -> DemoInfo:
    """Build the demo in the caller's transaction; the caller commits."""
    merchant = accounts.create_merchant(session, MERCHANT)
    info = DemoInfo(merchant_id=merchant.id)
    owner = accounts.create_user(session, merchant.id, OWNER_EMAIL, OWNER_PASSWORD)
    programs.create(session, merchant.id, dict(PROGRAM))
    store_ids = []
    for index, (name, staff) in enumerate(STORES.items(), start=1):
        store = accounts.create_store(session, merchant.id, name, TIMEZONE)
        manager = f"manager{index}@example.com"
        accounts.create_user(
            session, merchant.id, manager, MANAGER_PASSWORD, Role.STORE_MANAGER, store.id
        )
        info.stores.append((store.id, name, manager))
        store_ids.append(store.id)
        for staff_name, pin in staff.items():
            made = staff_pins.create(session, merchant.id, store.id, staff_name, pin, None)
            if isinstance(made, Rejected):
                raise RuntimeError(made.message)
            info.staff.append((store.id, staff_name, pin))
    actor = StoreActor(merchant.id, store_ids[0], Role.MERCHANT_OWNER, user_id=owner.id)
    # Three days ago, operations an hour apart: no cooldown or daily limit refuses them.
    start = datetime.now(UTC) - timedelta(days=3)
    for i, (email, name, phone) in enumerate(CUSTOMERS):
        card = _enroll(session, actor, settings, email, name, phone, start)
        number = card.card_number
        for j in range(i % 4):
            at = start + timedelta(hours=j + 1, minutes=i)
            _apply(session, actor, settings, AddStamp(card_number=number), at)
        earn = EarnPoints(
            card_number=number,
            purchase_amount_cents=1250 * (i + 1),
            order_reference=f"DEMO-{i + 1:04d}",
        )
        _apply(session, actor, settings, earn, start)
        info.cards.append((number, name, card.qr_code_data))
    return info


def describe_demo(session: Session) -> DemoInfo | None:
    """The demo already in the database, or None when its owner login is not there."""
    owner = session.scalars(select(User).where(User.email == OWNER_EMAIL)).first()
    if owner is None:
        return None
    info = DemoInfo(merchant_id=owner.merchant_id)
    stores = session.scalars(
        select(Store).where(Store.merchant_id == owner.merchant_id).order_by(Store.id)
    ).all()
    for store in stores:
        manager = session.scalars(
            select(User.email).where(User.store_id == store.id).order_by(User.id)
        ).first()
        info.stores.append((store.id, store.name, manager or "-"))
        pins = session.scalars(
            select(StaffPin)
            .where(StaffPin.store_id == store.id, StaffPin.deleted_at.is_(None))
            .order_by(StaffPin.id)
        )
        for pin in pins:
            known = STORES.get(store.name, {}).get(pin.name, "(changed)")
            info.staff.append((store.id, pin.name, known))
    cards = session.scalars(
        select(Card)
        .where(Card.merchant_id == owner.merchant_id)
        .order_by(Card.id)
        .limit(len(CUSTOMERS))
    )
    for card in cards:
        info.cards.append((card.card_number, card.customer.name or "", card.qr_code_data))
    return info


def _enroll(
    session: Session,
    actor: StoreActor,
    settings: Settings,
    email: str,
    name: str,
    phone: str | None,
    at: datetime,
) -> Card:
    customer = card_repo.lock_or_create_customer(session, actor.merchant_id, email, name, phone)
    op = Enroll(
        card_number=operations.allocate_card_number(session),
        customer=CustomerDetails(email=email, name=name, phone=phone),
    )
    result = operations.enroll(session, _request(actor, op, at), customer, settings)
    return _applied(result).card


def _apply(
    session: Session, actor: StoreActor, settings: Settings, op: Operation, at: datetime
) -> None:
    _applied(operations.apply_operation(session, _request(actor, op, at), settings))


def _applied(result: operations.OpResult) -> operations.OpApplied:
    """The demo must seed what it prints: any refusal is a bug, so it stops here."""
    if not isinstance(result, operations.OpApplied):
        raise RuntimeError(f"demo operation refused: {result.code} {result.message}")
    return result


def _request(actor: StoreActor, op: Operation, at: datetime) -> operations.OpRequest:
    return operations.OpRequest(actor, op, None, RequestMeta(user_agent="demo seed"), at)
