"""A till whose cache drifted from the server's finds out at the end of its next round
(the final page's digests, common/sync_digest.py) and repairs just the buckets that
differ, in that same round: a card's balance, a deleted PIN still held, a missing
ledger row, a customer's short name. Runs on SQLite and on PostgreSQL."""

import json
import time

import httpx
import pytest
from sqlalchemy import text

from common import sync_digest
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"
BASE = "https://testserver"


class _Tokens:
    token: str | None = None

    def get(self):
        return self.token

    def set(self, token):
        self.token = token

    def delete(self):
        self.token = None


@pytest.fixture
def shop(session_factory):
    return make_shop(session_factory)


@pytest.fixture
def world(client, shop, tmp_path):
    """A shop with two cards (one stamped at the till's store), a second PIN, and a
    till that has synced all of it."""
    numbers = [
        client.post(
            f"{API}/cards/enroll",
            json={"email": f"camille{i}@x.example", "customer_name": f"Camille Roux{i}"},
            headers=shop.owner_headers,
        ).json()["card_number"]
        for i in range(2)
    ]
    pusher = pair(client, shop.owner_headers, "Pusher")
    pin = shop.pin_ids[shop.store_ids[0]]
    ops = [pusher.op({"type": "stamp.add", "card_number": n}, staff_pin_id=pin) for n in numbers]
    assert pusher.push(ops).status_code == 200
    store = LocalStore(tmp_path / "till.db")
    sync = SyncClient(store, _Tokens(), transport=client._transport, digest_every=0)
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers).json()
    sync.pair(BASE, code["code"], "Front till")
    _round(sync)
    assert store.get_meta("digest_repairs") is None  # a clean first sync differs nowhere
    return store, sync, numbers


def _round(sync: SyncClient):
    state = sync.sync_once()
    assert state.online, state.error
    return state


def _sql(store: LocalStore, statement: str, **params):
    with store.transaction() as conn:
        return conn.execute(text(statement), params)


def _rows(store: LocalStore, statement: str, **params) -> list:
    with store.engine.connect() as conn:
        return list(conn.execute(text(statement), params))


def _balance(store: LocalStore, number: str) -> int:
    state = _rows(store, "SELECT state FROM cards WHERE card_number = :n", n=number)[0][0]
    return int(json.loads(state)["stamp_count"])


def test_a_cards_corrupted_balance_is_repaired_in_the_next_round(world):
    """Planted: the till's digest of cards left out the balances (CARD_COLUMNS without
    stamp_count) -> the corruption goes unseen."""
    store, sync, numbers = world
    _sql(
        store,
        "UPDATE cards SET state = json_set(state, '$.stamp_count', 99) WHERE card_number = :n",
        n=numbers[0],
    )

    _round(sync)

    assert _balance(store, numbers[0]) == 1
    assert store.get_meta("digest_repairs") == 1
    assert store.get_meta("digest_divergent") == []


def test_a_deleted_pin_still_held_is_dropped(world, client, shop):
    """Planted: the server's digest counted deleted PINs (no skip of ``deleted``) -> the
    repair brings the PIN back instead of dropping it."""
    store, sync, _ = world
    gone = client.post(
        f"{API}/pins", json={"name": "Temp", "pin": "8642"}, headers=shop.owner_headers
    ).json()["id"]
    _round(sync)
    kept = {r[0] for r in _rows(store, "SELECT id FROM staff_pins")}
    assert gone in kept
    assert client.delete(f"{API}/pins/{gone}", headers=shop.owner_headers).status_code < 300
    _round(sync)  # the deletion arrives and the PIN leaves the cache ...
    _sql(  # ... but a till (a bug, a restored file) still holds it
        store,
        "INSERT INTO staff_pins (id, name, pin_hash, is_active, failed_attempts) "
        "VALUES (:id, 'Temp', 'x', 1, 0)",
        id=gone,
    )

    _round(sync)

    assert {r[0] for r in _rows(store, "SELECT id FROM staff_pins")} == kept - {gone}
    assert store.get_meta("digest_divergent") == []


def test_a_missing_ledger_row_is_pulled_again(world):
    """Planted: the till deleted the bucket's rows but the server sent no transactions
    (bucket_rows skipped the entity) -> the row stays missing and the bucket divergent."""
    store, sync, _ = world
    (entry_id, card_id), *_ = _rows(store, "SELECT id, card_id FROM transactions ORDER BY id")
    _sql(store, "DELETE FROM transactions WHERE id = :i", i=entry_id)

    _round(sync)

    assert _rows(store, "SELECT card_id FROM transactions WHERE id = :i", i=entry_id) == [
        (card_id,)
    ]
    assert store.get_meta("digest_repairs") == 1


def test_a_customers_altered_short_name_is_repaired(world):
    """Planted: the server digested the full name instead of the short one the till
    keeps -> every customer bucket differs on every round (and is never repaired)."""
    store, sync, _ = world
    (customer_id, name), *_ = _rows(store, "SELECT id, name FROM customers ORDER BY id")
    _sql(store, "UPDATE customers SET name = 'Mallory X.' WHERE id = :i", i=customer_id)

    _round(sync)

    assert _rows(store, "SELECT name FROM customers WHERE id = :i", i=customer_id) == [(name,)]
    assert store.get_meta("digest_repairs") == 1
    assert store.get_meta("digest_divergent") == []


def test_only_the_buckets_that_differ_are_pulled_again(world, client):
    """Planted: the till re-pulled every bucket it was sent -> 209 buckets asked."""
    store, sync, numbers = world
    _sql(
        store,
        "UPDATE cards SET state = json_set(state, '$.points_balance', 7) WHERE card_number = :n",
        n=numbers[1],
    )
    asked: list[str] = []
    real = client._transport

    def spying(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/buckets"):
            asked.extend(request.url.params["names"].split(","))
        return real.handle_request(request)

    sync._transport = httpx.MockTransport(spying)
    sync.close()

    _round(sync)

    card_id = _rows(store, "SELECT id FROM cards WHERE card_number = :n", n=numbers[1])[0][0]
    assert asked == [sync_digest.name("cards", sync_digest.bucket("cards", card_id))]


def test_a_bucket_that_differs_again_after_its_repair_is_shown(world, client):
    """A server whose rows and digests disagree (here: its answer altered on the way)
    leaves the bucket divergent: the state says so, for the status bar.
    Planted: ``check`` recorded no divergent buckets in meta -> divergent stays 0."""
    store, sync, numbers = world
    _sql(
        store,
        "UPDATE cards SET state = json_set(state, '$.stamp_count', 99) WHERE card_number = :n",
        n=numbers[0],
    )
    real = client._transport

    def altering(request: httpx.Request) -> httpx.Response:
        response = real.handle_request(request)
        if not request.url.path.endswith("/buckets"):
            return response
        body = json.loads(response.read())
        rows = body["tables"]["cards"]["rows"]
        at = body["tables"]["cards"]["columns"].index("stamp_count")
        rows[0][at] = 42
        return httpx.Response(200, json=body)

    sync._transport = httpx.MockTransport(altering)
    sync.close()

    state = _round(sync)

    assert state.divergent == 1
    assert len(store.get_meta("digest_divergent")) == 1


def test_a_server_that_sends_no_digests_means_no_check(world, client):
    """An older server ignores ``digests=true``: the round passes, nothing is counted.
    Planted: the check ran on a page without digests -> the round fails."""
    store, sync, _ = world
    real = client._transport

    def older(request: httpx.Request) -> httpx.Response:
        response = real.handle_request(request)
        if not request.url.path.endswith("/pull"):
            return response
        body = json.loads(response.read())
        body.pop("digests", None)
        return httpx.Response(200, json=body)

    sync._transport = httpx.MockTransport(older)
    sync.close()
    checks = store.get_meta("digest_checks")

    _round(sync)

    assert store.get_meta("digest_checks") == checks
    assert store.get_meta("digest_repairs") is None


def test_digests_are_asked_again_only_when_due(world):
    """Planted: ``_digests_due`` never advanced -> a check on every round."""
    store, sync, _ = world
    sync.digest_every = 3600
    _round(sync)  # checks (the fixture's rounds were due at once), then not for an hour
    checks = store.get_meta("digest_checks")

    _round(sync)
    _round(sync)

    assert store.get_meta("digest_checks") == checks
    assert time.monotonic() < sync._digests_due


def test_a_card_changed_during_the_round_causes_no_false_repair(world, client, shop):
    """A stamp lands between the round's first and last page: the till holds the
    card's older version, and the server calls its bucket moving instead of comparing.
    Planted: ``_split`` digested rows past the horizon like the others -> a repair."""
    store, sync, numbers = world
    pusher = pair(client, shop.owner_headers, "Another till")
    pin = shop.pin_ids[shop.store_ids[0]]
    for i in range(3):  # enough rows for a round of several one-row pages
        client.post(
            f"{API}/cards/enroll", json={"email": f"x{i}@x.example"}, headers=shop.owner_headers
        )
    real, pages = client._transport, []

    def stamping_mid_round(request: httpx.Request) -> httpx.Response:
        response = real.handle_request(request)
        if request.url.path.endswith("/pull"):
            pages.append(request.url.params.get("cursor"))
            if len(pages) == 1:
                stamp = {"type": "stamp.add", "card_number": numbers[0]}
                assert pusher.push([pusher.op(stamp, staff_pin_id=pin)]).status_code == 200
        return response

    sync._transport = httpx.MockTransport(stamping_mid_round)
    sync.pull_rows = 1
    sync.close()

    _round(sync)

    assert len(pages) > 2
    assert store.get_meta("digest_repairs") is None
    assert _balance(store, numbers[0]) == 1  # the stamp comes next round
    _round(sync)
    assert _balance(store, numbers[0]) == 2
    assert store.get_meta("digest_repairs") is None


def test_a_first_sync_asks_for_no_digests_and_the_next_due_round_does(client, shop, tmp_path):
    """A first sync writes the server's rows as sent: checking them at once would only
    lengthen it (seconds for 100k cards); the check comes when due.
    Planted: no first-sync exception in ``_pull`` -> the first round asks."""
    asked: list[bool] = []
    real = client._transport

    def spying(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/pull"):
            asked.append(request.url.params.get("digests") == "true")
        return real.handle_request(request)

    store = LocalStore(tmp_path / "till.db")
    sync = SyncClient(store, _Tokens(), transport=httpx.MockTransport(spying), digest_every=0)
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers).json()
    sync.pair(BASE, code["code"], "Front till")

    _round(sync)
    first = list(asked)
    _round(sync)

    assert first == [False]
    assert asked[1:] == [True]
