"""A customer who asks to be forgotten, with their data spread the way a shop spreads
it: a card enrolled over the API (request IP and user agent kept), an offline
enrollment of the same person at a till (merged as an alias: their email and name in
the pushed op), transactions with notes naming them, a refused op on their card that a
cashier acknowledged with a note, and an op still waiting in the till's outbox."""

import json
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from common.card_number import make_card_number
from tests.store_api.conftest import API, PIN, Merchant, build
from tests.support.till import Till, pair

EMAIL = "zoe.forgetme@example.org"
NAME = "Zoé Forgetme-Lachaise"
PHONE = "+33 6 98 76 54 32"
NEEDLES = (EMAIL, NAME, PHONE)
AGENT = "ErasureTestBrowser/1.0 (zoe-device)"


@dataclass
class Person:
    customer_id: int
    card_id: int
    card_number: str
    alias_number: str
    outbox: list[dict[str, Any]]  # ops the till made offline and has not pushed yet
    pushed: list[dict[str, Any]]  # ops the till pushed about them (the enrollments first)


@dataclass
class World:
    a: Merchant
    b: Merchant
    till: Till
    person: Person


def build_world(client: TestClient, factory: sessionmaker[Session]) -> World:
    a = build(client, factory, "a", stores=2)
    b = build(client, factory, "b", stores=1)
    headers = {**a.owner, "User-Agent": AGENT}
    enrolled = client.post(
        f"{API}/cards/enroll",
        json={"email": EMAIL, "customer_name": NAME, "customer_phone": PHONE},
        headers=headers,
    )
    assert enrolled.status_code == 201, enrolled.text
    card = enrolled.json()
    for body in (
        {"purchase_amount_cents": 4200, "order_reference": "Z-1", "notes": f"{NAME}'s order"},
        {"purchase_amount_cents": 1800, "notes": f"call {PHONE} when ready"},
    ):
        earned = client.post(
            f"{API}/points/earn",
            json={"card_id": card["id"], "staff_pin": PIN, **body},
            headers=headers,
        )
        assert earned.status_code == 200, earned.text
    stamped = client.post(
        f"{API}/stamp",
        json={"card_id": card["id"], "staff_pin": PIN, "notes": f"mail {EMAIL}"},
        headers=headers,
    )
    assert stamped.status_code == 200, stamped.text
    till = pair(client, a.owner)
    pushed = _till_activity(till, a, card["card_number"])
    outbox = [
        till.op(
            {"type": "stamp.add", "card_number": card["card_number"], "notes": "offline"},
            staff_pin_id=a.pins[0],
            offline=True,
            snapshot_age_s=30,
        )
    ]
    alias = pushed[0]["body"]["card_number"]
    person = Person(card["customer_id"], card["id"], card["card_number"], alias, outbox, pushed)
    return World(a, b, till, person)


def _till_activity(till: Till, a: Merchant, card_number: str) -> list[dict[str, Any]]:
    """An offline enrollment of the same person (merged: an alias), a refused
    redemption, the cashier's acknowledgement of it with a note naming them, and an
    enrollment refused before it made a card."""
    alias = till.new_card_number()
    enroll = till.op(
        {
            "type": "card.enroll",
            "card_number": alias,
            "customer": {"email": EMAIL, "name": NAME, "phone": PHONE},
        },
        staff_pin_id=a.pins[0],
        offline=True,
        snapshot_age_s=10,
    )
    refused = till.op(
        {"type": "points.redeem", "card_number": card_number, "reward_id": "nope"},
        staff_pin_id=a.pins[0],
    )
    not_yours = till.op(  # refused before it made a card: found by the email it carries
        {
            "type": "card.enroll",
            "card_number": make_card_number(till.card_node + 1, 1),
            "customer": {"email": EMAIL, "name": NAME, "phone": PHONE},
        },
        staff_pin_id=a.pins[0],
    )
    pushed = till.push([enroll, refused, not_yours])
    assert pushed.status_code == 200, pushed.text
    codes = [r["code"] for r in pushed.json()["results"]]
    assert codes == [None, "REWARD_NOT_FOUND", "CARD_NUMBER_NOT_YOURS"], pushed.text
    ack = till.op(
        {"type": "attention.acknowledge", "op_id": refused["op_id"], "note": f"told {NAME}"},
        staff_pin_id=a.pins[0],
    )
    acked = till.push([ack])
    assert acked.json()["results"][0]["status"] == "applied", acked.text
    return [enroll, not_yours, refused, ack]


def found_anywhere(factory: sessionmaker[Session], needles: tuple[str, ...]) -> list[str]:
    """table.column cells holding any needle, over every column of every table the
    database has (read from the database, not from the models), JSON-escaped forms
    included."""
    forms = {form.lower() for n in needles for form in (n, _json_escaped(n))}
    hits = []
    with factory() as session:
        for table in _tables(session):
            rows = session.execute(text(f'SELECT * FROM "{table}"')).mappings()
            for row in rows:
                for column, value in row.items():
                    cell = _text(value).lower()
                    if any(form in cell for form in forms):
                        hits.append(f"{table}.{column}")
    return sorted(set(hits))


def _json_escaped(value: str) -> str:
    return json.dumps(value)[1:-1]


def _tables(session: Session) -> list[str]:
    if session.get_bind().dialect.name == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return sorted(str(t) for t in session.scalars(text(sql)))


def _text(value: object) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


_STATE = {
    "customers": "SELECT id, email, name, phone, erased_at, change_txid FROM customers",
    "cards": "SELECT id, is_active, stamp_count, points_balance, change_txid FROM cards",
    "ledger": "SELECT id, notes, ip_address, user_agent, change_txid FROM ledger_entries",
    "ops": "SELECT id, status, message, acknowledged_note, change_txid FROM sync_ops",
    "erasures": "SELECT id, customer_id FROM customer_erasures",
}


def state(factory: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """What an export or erasure could change, on either backend."""
    with factory() as session:
        return {
            name: sorted(tuple(r) for r in session.execute(text(f"{sql} ORDER BY id")))
            for name, sql in _STATE.items()
        }
