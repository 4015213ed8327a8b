"""What leaves a till's scope leaves its cache at the next pull: an owner serves a till
to another store (the till starts over, so the old store's PINs, history and attention
go and the new store's come), or deletes a staff PIN (its row, hash included, goes)."""

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from common.outcome import Rejected
from desktop.engine.local_store import LocalStore
from desktop.engine.staff import check_pin
from desktop.engine.sync_client import SyncClient
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"
BASE = "https://testserver"


def _move(client, headers, terminal_id: int, store_id: int):
    return client.post(
        f"/api/v1/terminals/{terminal_id}/move", json={"store_id": store_id}, headers=headers
    )


@pytest.fixture
def shop(session_factory):
    return make_shop(session_factory, stores=2)


def test_a_moved_till_starts_over_with_the_new_stores_pins_and_history(client, shop):
    first, second = shop.store_ids
    till = pair(client, shop.owner_headers)
    number = client.post(
        f"{API}/cards/enroll", json={"email": "lea@x.example"}, headers=shop.owner_headers
    ).json()["card_number"]
    till.push(
        [till.op({"type": "stamp.add", "card_number": number}, staff_pin_id=shop.pin_ids[first])]
    )
    till.pull_all()
    assert set(till.state["staff_pins"]) == {str(shop.pin_ids[first])}
    assert till.state.get("transactions")

    moved = _move(client, shop.owner_headers, till.terminal_id, second)
    pages = till.pull_all()

    assert moved.status_code == 200, moved.text
    assert moved.json()["store_id"] == second
    assert pages[0]["reset"] is True
    assert set(till.state["staff_pins"]) == {str(shop.pin_ids[second])}
    assert not till.state.get("transactions")  # the first store's history is gone


def test_a_move_to_the_same_store_changes_nothing(client, shop):
    till = pair(client, shop.owner_headers)
    till.pull_all()

    _move(client, shop.owner_headers, till.terminal_id, shop.store_ids[0])
    pages = till.pull_all()

    assert pages[0]["reset"] is False


@pytest.mark.parametrize("store_id", [True, "2", 2.5, None, 2**31, 0])
def test_a_store_id_that_is_no_json_integer_is_refused_and_moves_nothing(client, shop, store_id):
    """Found by the API fuzz: ``{"store_id": true}`` was taken for store 1 (pydantic's
    lax int). Planted: the lax int back -> true moves the till (200)."""
    till = pair(client, shop.owner_headers)
    till.pull_all()

    answer = _move(client, shop.owner_headers, till.terminal_id, store_id)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "VALIDATION_ERROR"
    assert till.pull_all()[0]["reset"] is False


def test_only_the_owner_moves_a_till_and_only_to_a_store_of_theirs(client, shop, session_factory):
    other = make_shop(session_factory, "Other")
    till = pair(client, shop.owner_headers)

    by_other_owner = _move(client, other.owner_headers, till.terminal_id, other.store_ids[0])
    to_other_store = _move(client, shop.owner_headers, till.terminal_id, other.store_ids[0])
    by_till = _move(client, till.headers, till.terminal_id, shop.store_ids[1])
    unknown = _move(client, shop.owner_headers, 10**6, shop.store_ids[1])

    assert (by_other_owner.status_code, by_other_owner.json()["code"]) == (404, "NOT_FOUND")
    assert (to_other_store.status_code, to_other_store.json()["code"]) == (404, "NOT_FOUND")
    assert by_till.status_code in (401, 403)
    assert unknown.status_code == 404
    till.pull_all()
    assert set(till.state["staff_pins"]) == {str(shop.pin_ids[shop.store_ids[0]])}


def _pins_after_sync(sync: SyncClient, store: LocalStore, expected: set[int]) -> set[int]:
    """Sync until the till holds ``expected`` (or 20 s): a writing transaction still
    open on the server can hold the pull horizon back for a moment."""
    deadline = time.monotonic() + 20
    while True:
        assert sync.sync_once().online
        if _pins(store) == expected or time.monotonic() > deadline:
            return _pins(store)
        time.sleep(0.1)


def _pins(store: LocalStore) -> set[int]:
    with store.engine.connect() as conn:
        return {row.id for row in conn.execute(text("SELECT id FROM staff_pins"))}


class _Tokens:
    token: str | None = None

    def get(self):
        return self.token

    def set(self, token):
        self.token = token

    def delete(self):
        self.token = None


def _paired_till(client, shop, path) -> tuple[LocalStore, SyncClient]:
    store = LocalStore(path)
    sync = SyncClient(store, _Tokens(), transport=client._transport)
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers).json()["code"]
    sync.pair(BASE, code, "Front till")
    assert sync.sync_once().online
    return store, sync


def test_the_till_drops_the_old_stores_pins_and_serves_the_new_store(client, shop, tmp_path):
    first, second = shop.store_ids
    store, sync = _paired_till(client, shop, tmp_path / "till.db")
    assert _pins_after_sync(sync, store, {shop.pin_ids[first]}) == {shop.pin_ids[first]}
    terminal_id = store.get_meta("terminal_id")

    _move(client, shop.owner_headers, terminal_id, second)

    assert _pins_after_sync(sync, store, {shop.pin_ids[second]}) == {shop.pin_ids[second]}
    assert store.get_meta("store_id") == second
    assert store.get_meta("store")["id"] == second


def test_a_deleted_staff_pin_leaves_the_tills_cache_and_cannot_confirm(client, shop, tmp_path):
    kept = shop.pin_ids[shop.store_ids[0]]
    gone = client.post(
        f"{API}/pins", json={"name": "Temp", "pin": "8642"}, headers=shop.owner_headers
    ).json()["id"]
    store, sync = _paired_till(client, shop, tmp_path / "till.db")
    assert _pins_after_sync(sync, store, {kept, gone}) == {kept, gone}

    deleted = client.delete(f"{API}/pins/{gone}", headers=shop.owner_headers)

    assert deleted.status_code == 204
    assert _pins_after_sync(sync, store, {kept}) == {kept}
    refused = check_pin(store, gone, "8642", datetime.now(UTC))
    assert isinstance(refused, Rejected)
    assert refused.code == "STAFF_PIN_NOT_FOUND"
