"""A till's re-pull of the buckets whose digests differed (docs/sync-protocol.md,
"Digests"): exactly the rows of the named buckets, in the pull's columns, with the
digests of exactly those rows, and ledger entries only from the till's window. Written
against mutants mutation testing left alive in sync_server/sync/pull_digest.py."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from common import sync_digest
from sync_server.models import LedgerEntry, MerchantSettings
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"


@pytest.fixture
def shop(session_factory):
    return make_shop(session_factory)


def _enroll(client, shop, email: str) -> dict:
    response = client.post(f"{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _repull(client, till, names: str) -> dict:
    response = client.get("/api/v1/sync/buckets", params={"names": names}, headers=till.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_repull_brings_exactly_the_named_buckets_rows_and_their_digests(client, shop):
    """Planted: the bucket filter dropped (every card came back), the digests made for
    every bucket, the table's keys renamed -> each fails."""
    cards = [_enroll(client, shop, f"r{i}@x.example") for i in range(4)]
    till = pair(client, shop.owner_headers)
    wanted = sync_digest.bucket("cards", cards[1]["id"])

    body = _repull(client, till, f"cards:{wanted}")

    table = body["tables"]["cards"]
    ids = [row[table["columns"].index("id")] for row in table["rows"]]
    assert ids == [cards[1]["id"]]
    assert list(body["buckets"]) == [f"cards:{wanted}"]
    columns = sync_digest.ENTITIES["cards"][1]
    at = [table["columns"].index(c) for c in columns]
    rows = [tuple(row[i] for i in at) for row in table["rows"]]
    assert body["buckets"][f"cards:{wanted}"] == sync_digest.digest(rows)
    assert datetime.fromisoformat(body["since"]) <= datetime.now(UTC)


def test_a_repull_of_a_later_entity_alone_still_brings_it(client, shop):
    """The entities are walked in order and skipped when not asked for. Planted: the
    first entity not asked for ending the walk (``break``) -> no staff PINs."""
    till = pair(client, shop.owner_headers)

    body = _repull(client, till, "staff_pins:0")

    assert set(body["tables"]) == {"staff_pins"}
    names = body["tables"]["staff_pins"]["columns"].index("name")
    assert [row[names] for row in body["tables"]["staff_pins"]["rows"]] == ["Sam"]


def test_a_repull_of_history_keeps_to_the_merchants_window(client, shop, session_factory):
    """Ledger entries older than the window the till keeps are neither sent nor counted.
    Planted: the window not applied to ledger entries, or the merchant's setting
    ignored (90 days instead of 7) -> the 30-day-old entry comes back."""
    card = _enroll(client, shop, "old@x.example")
    till = pair(client, shop.owner_headers)
    with session_factory.begin() as session:
        session.add(MerchantSettings(merchant_id=shop.merchant_id, till_history_days=7))
        session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.card_id == card["id"])
            .values(created_at=datetime.now(UTC) - timedelta(days=30))
        )
    stamp = client.post(
        f"{API}/stamp",
        json={"card_number": card["card_number"], "staff_pin": shop.pin},
        headers=shop.owner_headers,
    )
    assert stamp.status_code == 200, stamp.text
    with session_factory() as session:
        recent = session.scalars(
            select(LedgerEntry.id)
            .where(LedgerEntry.card_id == card["id"])
            .where(LedgerEntry.created_at > datetime.now(UTC) - timedelta(days=1))
        ).all()
    number = sync_digest.bucket("transactions", card["id"])

    body = _repull(client, till, f"transactions:{number}")

    table = body["tables"]["transactions"]
    ids = [row[table["columns"].index("id")] for row in table["rows"]]
    assert ids == list(recent)
    assert datetime.fromisoformat(body["since"]) > datetime.now(UTC) - timedelta(days=7)


def test_the_round_digests_name_the_window_they_compare(client, shop):
    """The till compares its ledger from ``since``. Planted: the key renamed -> fails."""
    till = pair(client, shop.owner_headers)
    response = client.get("/api/v1/sync/pull", params={"digests": "true"}, headers=till.headers)
    assert response.status_code == 200, response.text
    digests = response.json()["digests"]
    assert datetime.fromisoformat(digests["since"]) <= datetime.now(UTC)


def test_a_deleted_pin_is_neither_sent_nor_digested_in_a_repull(client, shop):
    """The till drops a deleted PIN (its hash with it): the server's re-pull must not
    bring it back nor count it. Planted: deleted PINs kept in the digest rows -> the
    digest differs from that of the PINs sent."""
    made = client.post(
        f"{API}/pins", json={"name": "Zoé", "pin": "8642"}, headers=shop.owner_headers
    )
    assert made.status_code == 201, made.text
    gone = client.delete(f"{API}/pins/{made.json()['id']}", headers=shop.owner_headers)
    assert gone.status_code == 204, gone.text
    till = pair(client, shop.owner_headers)

    body = _repull(client, till, "staff_pins:0")

    table = body["tables"]["staff_pins"]
    names = [row[table["columns"].index("name")] for row in table["rows"]]
    assert names == ["Sam"]
    at = [table["columns"].index(c) for c in sync_digest.ENTITIES["staff_pins"][1]]
    rows = [tuple(row[i] for i in at) for row in table["rows"]]
    assert body["buckets"]["staff_pins:0"] == sync_digest.digest(rows)


def test_a_customers_digest_covers_the_masked_email_the_till_keeps(client, shop):
    """Planted: the email left out of the server's customer digest rows -> it differs
    from the digest of (id, short name, email hint) the till computes."""
    card = _enroll(client, shop, "lea.martin@x.example")
    till = pair(client, shop.owner_headers)
    number = sync_digest.bucket("customers", card["customer_id"])

    body = _repull(client, till, f"customers:{number}")

    expected = sync_digest.customer_row(card["customer_id"], None, "lea.martin@x.example")
    assert body["buckets"][f"customers:{number}"] == sync_digest.digest([expected])
