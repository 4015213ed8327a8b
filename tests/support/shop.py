"""A merchant with a store, an owner, a program and a staff PIN, made through services."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sync_server.actor import Role
from sync_server.auth import accounts, tokens
from sync_server.models import StaffPin
from sync_server.services import programs, staff_pins

PROGRAM: dict[str, Any] = {
    "loyalty_type": "hybrid",
    "display_name": "Test Café",
    "stamps_target": 10,
    "stamps_reward_description": "Coffee",
    "cooldown_minutes": 0,
    "max_daily_stamps": 5,
    "points_per_currency_unit": 1,
    "points_rewards": [
        {"id": "ten", "name": "Ten", "points_required": 10, "is_active": True},
        {"id": "fifty", "name": "Fifty", "points_required": 50, "is_active": True},
    ],
    "welcome_bonus_points": 0,
    "require_staff_pin": True,
    "is_active": True,
}


@dataclass
class Shop:
    merchant_id: int
    store_ids: list[int]
    owner_headers: dict[str, str]
    pin_ids: dict[int, int] = field(default_factory=dict)  # store id -> staff PIN id
    pin: str = "2468"
    owner_email: str = ""


def make_shop(
    factory: sessionmaker[Session],
    name: str = "Shop",
    stores: int = 1,
    timezone: str = "Europe/Paris",
    **program: Any,
) -> Shop:
    now = datetime.now(UTC)
    with factory() as session:
        merchant = accounts.create_merchant(session, name)
        made = [
            accounts.create_store(session, merchant.id, f"{name} {i + 1}", timezone)
            for i in range(stores)
        ]
        owner = accounts.create_user(
            session, merchant.id, f"owner@{name.lower()}.example", "pw", Role.MERCHANT_OWNER
        )
        programs.create(session, merchant.id, PROGRAM | program)
        pin_ids = {}
        for store in made:
            pin = staff_pins.create(session, merchant.id, store.id, "Sam", "2468", None)
            assert isinstance(pin, StaffPin)
            pin_ids[store.id] = pin.id
        token = tokens.issue(session, owner, made[0].id, now, timedelta(hours=2))
        session.commit()
        return Shop(
            merchant_id=merchant.id,
            store_ids=[s.id for s in made],
            owner_headers={"Authorization": f"Bearer {token.token}"},
            pin_ids=pin_ids,
            owner_email=owner.email,
        )


def owner_headers_for(factory: sessionmaker[Session], shop: Shop, store_id: int) -> dict[str, str]:
    """The owner's token acting for another of their stores."""
    from sqlalchemy import select

    from sync_server.models import User

    with factory() as session:
        owner = session.scalars(
            select(User).where(User.merchant_id == shop.merchant_id, User.role == "merchant_owner")
        ).one()
        token = tokens.issue(session, owner, store_id, datetime.now(UTC), timedelta(hours=2))
        session.commit()
        return {"Authorization": f"Bearer {token.token}"}
