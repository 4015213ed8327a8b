"""A seeded server for hostile requests: two merchants, cards with history, a paired
till, an attention item; and the ledger's fingerprint, to prove a refusal changed
nothing."""

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from sync_server.ledger_chain import verify
from tests.support.shop import Shop, make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"


@dataclass
class World:
    client: TestClient
    factory: sessionmaker[Session]
    shop: Shop
    other: Shop
    till: Till
    cards: list[dict[str, Any]]  # merchant A's enroll responses
    other_card: dict[str, Any]  # merchant B's
    earn_id: int  # a POINTS_EARNED entry of cards[0]
    stamp_id: int  # a STAMP_EARNED entry of cards[0]
    attention_id: int
    attention_op_id: str  # the refused op behind attention_id, for acknowledgements
    pin_id: int
    refs: itertools.count = field(default_factory=lambda: itertools.count(1))

    def next_ref(self) -> str:
        return f"H-{next(self.refs)}-{uuid.uuid4().hex[:6]}"


def build_world(client: TestClient, factory: sessionmaker[Session]) -> World:
    shop = make_shop(factory, "Hostile", stores=2, cooldown_minutes=0, max_daily_stamps=100)
    other = make_shop(factory, "Other")
    cards = [_enroll(client, shop.owner_headers, f"h{i}@example.com") for i in range(3)]
    other_card = _enroll(client, other.owner_headers, "o@example.com")
    pin = shop.pin
    earn = client.post(
        f"{API}/points/earn",
        json={
            "card_id": cards[0]["id"],
            "purchase_amount_cents": 50_000,
            "order_reference": "SEED-1",
            "staff_pin": pin,
        },
        headers=shop.owner_headers,
    )
    assert earn.status_code == 200, earn.text
    stamp = client.post(
        f"{API}/stamp",
        json={"card_id": cards[0]["id"], "staff_pin": pin},
        headers=shop.owner_headers,
    )
    assert stamp.status_code == 200, stamp.text
    till = pair(client, shop.owner_headers)
    pin_id = shop.pin_ids[shop.store_ids[0]]
    refused = till.push(
        [
            till.op(
                {
                    "type": "points.redeem",
                    "card_number": cards[1]["card_number"],
                    "reward_id": "nope",
                },
                staff_pin_id=pin_id,
            )
        ]
    )
    assert refused.status_code == 200, refused.text
    attention = client.get("/api/v1/terminals/attention", headers=shop.owner_headers)
    assert attention.status_code == 200, attention.text
    return World(
        client=client,
        factory=factory,
        shop=shop,
        other=other,
        till=till,
        cards=cards,
        other_card=other_card,
        earn_id=earn.json()["transaction_id"],
        stamp_id=stamp.json()["transaction_id"],
        attention_id=attention.json()["items"][0]["id"],
        attention_op_id=refused.json()["results"][0]["op_id"],
        pin_id=pin_id,
    )


def _enroll(client: TestClient, headers: dict[str, str], email: str) -> dict[str, Any]:
    made = client.post(
        f"{API}/cards/enroll", json={"email": email, "customer_name": "Hostile"}, headers=headers
    )
    assert made.status_code == 201, made.text
    detail = client.get(f"{API}/cards/{made.json()['id']}", headers=headers)
    assert detail.status_code == 200, detail.text
    return {**made.json(), "qr_code_data": detail.json()["qr_code_data"]}


_FINGERPRINT = {
    "cards": "SELECT count(*), coalesce(sum(points_balance), 0), coalesce(sum(stamp_count), 0),"
    " coalesce(sum(total_points_earned), 0), sum(CASE WHEN is_active THEN 1 ELSE 0 END),"
    " coalesce(max(change_txid), 0) FROM cards",
    "ledger": "SELECT count(*), coalesce(max(id), 0), coalesce(sum(points_delta), 0)"
    " FROM ledger_entries",
    "chain": "SELECT coalesce(max(last_seq), 0), count(*) FROM ledger_chain_heads",
    "customers": "SELECT count(*), coalesce(max(change_txid), 0) FROM customers",
    "aliases": "SELECT count(*) FROM card_aliases",
    "claims": "SELECT count(*), coalesce(max(change_txid), 0) FROM sync_ops",
    "program": "SELECT count(*), coalesce(max(updated_at)::text, '') FROM programs",
    "pins": "SELECT count(*), coalesce(max(name), ''), sum(CASE WHEN is_active THEN 1 ELSE 0 END),"
    " sum(CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END) FROM staff_pins",
    "terminals": "SELECT count(*), sum(CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END)"
    " FROM terminals",
    "settings": "SELECT count(*) FROM merchant_settings",
}


def fingerprint(factory: sessionmaker[Session]) -> dict[str, tuple[Any, ...]]:
    """What any accepted change would move: balances, the ledger and its chain, claims,
    customers, aliases, program, PINs, terminals (not counters of failed attempts)."""
    with factory() as session:
        return {name: tuple(session.execute(text(sql)).one()) for name, sql in _FINGERPRINT.items()}


def chain_intact(factory: sessionmaker[Session], merchant_ids: list[int]) -> list[str]:
    """Problems of each merchant's hash chain (none when it verifies)."""
    with factory() as session:
        reports = [verify(session, m) for m in merchant_ids]
    return [f"merchant {r.merchant_id}: {r.problem}" for r in reports if r.problem]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()
