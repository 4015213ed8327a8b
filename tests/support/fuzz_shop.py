"""A shop seeded on a live server for schemathesis: the ids, codes, PINs and QR payloads a
generated request needs to reach the rules rather than be refused as 'not found'."""

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from tests.support.shop import make_shop, owner_headers_for
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"
PINS = {"Alex": "1357", "Kim": "8642"}


@dataclass
class FuzzShop:
    owner: dict[str, str]
    logout_owner: dict[str, str] = field(default_factory=dict)
    till: dict[str, str] = field(default_factory=dict)
    owner_email: str = ""
    pins: dict[int, str] = field(default_factory=dict)  # staff PIN id -> PIN
    cards: list[dict[str, Any]] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    spare_tills: list[int] = field(default_factory=list)
    attention: list[int] = field(default_factory=list)
    pairing_codes: list[str] = field(default_factory=list)


def seed(client: httpx.Client, factory: sessionmaker[Session]) -> FuzzShop:
    shop = make_shop(factory)
    world = FuzzShop(
        owner=shop.owner_headers,
        # logout revokes the token it is sent with: it gets one of its own
        logout_owner=owner_headers_for(factory, shop, shop.store_ids[0]),
        owner_email=shop.owner_email,
        pins={pin_id: shop.pin for pin_id in shop.pin_ids.values()},
    )
    for name, pin in PINS.items():
        made = _ok(
            client.post(f"{API}/pins", json={"name": name, "pin": pin}, headers=shop.owner_headers)
        )
        world.pins[made["id"]] = pin
    for i in range(4):
        card = _ok(
            client.post(
                f"{API}/cards/enroll",
                json={"email": f"fuzz{i}@example.com", "customer_name": f"Fuzz {i}"},
                headers=shop.owner_headers,
            )
        )
        world.cards.append(card)
        detail = _ok(client.get(f"{API}/cards/{card['id']}", headers=shop.owner_headers))
        world.qr_codes.append(detail["qr_code_data"])
    # Tills a generated id may revoke come first (ids 1.. are the coverage phase's
    # boundary values); the till whose token drives /sync is paired last.
    world.spare_tills = [
        pair(client, shop.owner_headers, f"Spare {i}").terminal_id for i in range(3)
    ]
    till = pair(client, shop.owner_headers, "Fuzz till")
    world.till = till.headers
    world.attention = _rejected_op(till, shop.owner_headers)
    for _ in range(5):
        code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers)
        world.pairing_codes.append(_ok(code)["code"])
    return world


def _rejected_op(till: Till, owner: dict[str, str]) -> list[int]:
    """One op the server refuses: an item on the owner's 'needs attention' list."""
    pushed = till.push([till.op({"type": "stamp.add", "card_number": "0000000000000000"})])
    assert pushed.status_code == 200, pushed.text
    listed = _ok(till.client.get("/api/v1/terminals/attention", headers=owner))
    return [item["id"] for item in listed["items"]]


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()
