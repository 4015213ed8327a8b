"""Two merchants side by side: A (stores A1, A2) and B (store B1), each with an owner,
a manager, a program, staff PINs, cards and ledger entries, all made through the API
or the services the API uses."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sync_server.actor import Role
from sync_server.auth import accounts, tokens
from sync_server.models import User
from tests.support.shop import PROGRAM

API = "/api/v1/store/loyalty"
PIN = "2468"


@dataclass
class Merchant:
    id: int
    stores: list[int]
    owner: dict[str, str]  # headers, acting for stores[0]
    manager: dict[str, str]  # headers of the manager of stores[0]
    pins: list[int]  # staff PIN ids, one per store
    cards: list[dict]  # enroll responses
    entry_id: int  # a POINTS_EARNED ledger entry of cards[0]


def _headers(session, user, store_id) -> dict[str, str]:
    token = tokens.issue(session, user, store_id, datetime.now(UTC), timedelta(hours=1))
    return {"Authorization": f"Bearer {token.token}"}


def build(client, session_factory, name: str, stores: int) -> Merchant:
    with session_factory() as session:
        merchant = accounts.create_merchant(session, name)
        made = [
            accounts.create_store(session, merchant.id, f"{name}{i + 1}", "Europe/Paris")
            for i in range(stores)
        ]
        owner = accounts.create_user(session, merchant.id, f"owner@{name}.example", "pw-owner")
        manager = accounts.create_user(
            session,
            merchant.id,
            f"manager@{name}.example",
            "pw-manager",
            Role.STORE_MANAGER,
            made[0].id,
        )
        owner_h, manager_h = (
            _headers(session, owner, made[0].id),
            _headers(session, manager, made[0].id),
        )
        session.commit()
    assert client.post(f"{API}/program", json=PROGRAM, headers=owner_h).status_code == 201
    pins = []
    for store in made:
        with session_factory() as session:
            user = session.scalars(select(User).where(User.email == f"owner@{name}.example")).one()
            headers = _headers(session, user, store.id)
            session.commit()
        created = client.post(f"{API}/pins", json={"name": "Sam", "pin": PIN}, headers=headers)
        assert created.status_code == 201, created.text
        pins.append(created.json()["id"])
    cards = []
    for i in range(2):
        enrolled = client.post(
            f"{API}/cards/enroll",
            json={"email": f"c{i}@{name}.example", "customer_name": f"{name} Customer {i}"},
            headers=owner_h,
        )
        assert enrolled.status_code == 201, enrolled.text
        cards.append(enrolled.json())
    earn = client.post(
        f"{API}/points/earn",
        json={
            "card_id": cards[0]["id"],
            "purchase_amount_cents": 5000,
            "order_reference": "O-1",
            "staff_pin": PIN,
        },
        headers=manager_h,
    )
    assert earn.status_code == 200, earn.text
    return Merchant(
        merchant.id,
        [s.id for s in made],
        owner_h,
        manager_h,
        pins,
        cards,
        earn.json()["transaction_id"],
    )


@pytest.fixture
def a(client, session_factory) -> Merchant:
    return build(client, session_factory, "a", stores=2)


@pytest.fixture
def b(client, session_factory) -> Merchant:
    return build(client, session_factory, "b", stores=1)
