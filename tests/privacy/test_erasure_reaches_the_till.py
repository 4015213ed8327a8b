"""An erasure on the server reaches a real till (its encrypted cache, its search, its
outbox) at the till's next pull; the op the till queued for the erased card offline
gets the documented verdict (cards closed by default: CARD_INACTIVE)."""

import secrets
from datetime import UTC, datetime

from sqlalchemy import select, text

from common.operations import AddStamp
from desktop.engine.cache_key import CacheKey
from desktop.engine.local_store import LocalStore
from desktop.engine.lookup import find_by_customer, find_by_number
from desktop.engine.till import Confirmed, Till
from desktop.engine.tokens import MemoryTokens
from sync_server.models import Customer
from tests.support.local_till import pull_into, push_outbox
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"
CAMILLE = {"email": "camille.roux@example.com", "customer_name": "Camille Roux"}
SECRETS = ("camille.roux@example.com", "Camille", "Roux", "c•••@e•••.com")


def _sync(store: LocalStore, remote) -> None:
    if store.entries():
        push_outbox(store, remote)
    pull_into(store, remote)


def _everything_the_till_holds(store: LocalStore) -> str:
    """Every value of every table, read through the key (what a thief with the OS
    session would see)."""
    with store.engine.connect() as conn:
        tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
        return repr([conn.execute(text(f"SELECT * FROM {name}")).all() for (name,) in tables.all()])


def test_an_erased_customer_leaves_the_till_at_its_next_pull(client, session_factory, tmp_path):
    """Camille was enrolled at this till: its outbox holds what the cashier typed.
    Planted: the till keeping its settled rows of an erased person's cards (forget
    doing nothing) -> her email and name are still in its tables."""
    shop = make_shop(session_factory, cooldown_minutes=0)
    pin = shop.pin_ids[shop.store_ids[0]]
    other = client.post(
        f"{API}/cards/enroll",
        json={"email": "alan@x.example", "customer_name": "Alan Turing"},
        headers=shop.owner_headers,
    )
    other_number = other.json()["card_number"]
    remote = pair(client, shop.owner_headers)
    store = LocalStore(tmp_path / "till.db", key=CacheKey(secrets.token_bytes(32), MemoryTokens()))
    with store.transaction() as conn:
        store.set_meta(conn, "card_node", remote.card_node)
    _sync(store, remote)
    enrolled = Till(store).enroll(CAMILLE["email"], CAMILLE["customer_name"], None, pin)
    assert isinstance(enrolled, Confirmed), enrolled
    number = enrolled.card.card_number
    _sync(store, remote)
    assert [
        m.card_number for m in find_by_customer(store, CAMILLE["email"], store.snapshot_card)
    ] == [number]
    queued = store.append(
        AddStamp(card_number=number),
        client_time=datetime.now(UTC),
        staff_pin_id=pin,
        offline=True,
        snapshot_age_s=0,
    )
    with session_factory() as session:
        customer_id = session.scalars(
            select(Customer.id).where(Customer.email == CAMILLE["email"])
        ).one()
    erased = client.delete(f"/api/v1/customers/{customer_id}", headers=shop.owner_headers)
    assert erased.status_code == 200, erased.text

    _sync(store, remote)

    answered = store.entry(queued.op_id)
    assert answered is not None
    assert (answered.status, (answered.outcome or {}).get("code")) == ("rejected", "CARD_INACTIVE")
    assert find_by_customer(store, CAMILLE["email"], store.snapshot_card) == []
    assert find_by_customer(store, "Camille", store.snapshot_card) == []
    [card] = find_by_number(store, number, store.snapshot_card)
    assert (card.display_name, card.card.is_active) == ("Card holder", False)
    held = _everything_the_till_holds(store)
    assert [s for s in SECRETS if s in held] == []
    assert [m.card_number for m in find_by_customer(store, "Alan", store.snapshot_card)] == [
        other_number
    ]
    store.close()
    files = b"".join(p.read_bytes() for p in tmp_path.glob("till.db*"))
    assert [s for s in SECRETS if s.encode() in files] == []
