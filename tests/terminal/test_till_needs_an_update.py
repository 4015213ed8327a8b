"""A till the server no longer speaks to (426) keeps working offline with its outbox
and drains it once updated; a till database of every earlier local schema version is
upgraded in place and its outbox, written by the old version, lands exactly once."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bench.server_process import ServerProcess
from common import protocol
from common.operations import AddStamp
from desktop.engine import local_schema
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient
from desktop.engine.till import Confirmed, Till
from sync_server.db import make_engine, make_session_factory
from tests.support.shop import Shop, make_shop

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
API = "/api/v1/store/loyalty"


class MemoryTokens:
    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def get(self) -> str | None:
        return self.token

    def set(self, token: str) -> None:
        self.token = token

    def delete(self) -> None:
        self.token = None


@pytest.fixture
def shop_server(pg_url):
    engine = make_engine(pg_url)
    shop = make_shop(make_session_factory(engine), cooldown_minutes=0, max_daily_stamps=100)
    server = ServerProcess(pg_url, workers=1)
    server.start()
    yield shop, server
    server.stop()
    engine.dispose()


def _enroll(server: ServerProcess, shop: Shop, email: str) -> str:
    response = httpx.post(
        f"{server.url}{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers
    )
    return str(response.json()["card_number"])


def _stamps(server: ServerProcess, shop: Shop, number: str) -> int:
    response = httpx.get(
        f"{server.url}{API}/cards/lookup", params={"q": number}, headers=shop.owner_headers
    )
    return int(response.json()["stamp_count"])


def _paired_answer(server: ServerProcess, shop: Shop) -> dict:
    code = httpx.post(
        f"{server.url}/api/v1/terminals/pairing-codes", headers=shop.owner_headers
    ).json()["code"]
    return httpx.post(f"{server.url}/api/v1/sync/pair", json={"code": code}).json()


def test_an_outdated_till_works_offline_keeps_its_outbox_and_drains_it_once_updated(
    shop_server, tmp_path, monkeypatch
):
    shop, server = shop_server
    number = _enroll(server, shop, "lea@x.example")
    store = LocalStore(tmp_path / "till.db")
    client = SyncClient(store, MemoryTokens())
    client.pair(server.url, _paired_code(server, shop))
    _sync_until_staff_arrived(client, store)
    monkeypatch.setattr(protocol, "CURRENT", protocol.OLDEST - 1)  # the server moved on
    client = SyncClient(store, client.tokens)  # (the version is fixed for a process)

    done = Till(store).perform(AddStamp(card_number=number), shop.pin_ids[shop.store_ids[0]])
    outdated = client.sync_once()

    assert isinstance(done, Confirmed)
    assert outdated.needs_update
    assert not outdated.online
    assert outdated.pending == 1
    assert "needs an update" in (outdated.error or "")
    assert store.get_meta("base_url") == server.url  # not taken for a revocation
    assert _stamps(server, shop, number) == 0

    monkeypatch.setattr(protocol, "CURRENT", protocol.NEWEST)  # the till is updated
    client = SyncClient(store, client.tokens)
    updated = client.sync_once()

    assert (updated.online, updated.needs_update, updated.pending) == (True, False, 0)
    assert _stamps(server, shop, number) == 1


def _sync_until_staff_arrived(client: SyncClient, store: LocalStore) -> None:
    """A writing transaction still open on the server holds the pull's horizon back
    for a moment: pull until the PIN is here."""
    deadline = time.monotonic() + 30
    while True:
        assert client.sync_once().online
        with store.engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM staff_pins")).scalar_one():
                return
        assert time.monotonic() < deadline, "the staff PIN never arrived by pull"
        time.sleep(0.1)


def _paired_code(server: ServerProcess, shop: Shop) -> str:
    return str(
        httpx.post(
            f"{server.url}/api/v1/terminals/pairing-codes", headers=shop.owner_headers
        ).json()["code"]
    )


def _old_till(path: Path, version: int, pairing: dict, base_url: str, number: str) -> None:
    """A till database as release ``version`` of the local schema left it: paired, one
    stamp confirmed offline and not yet pushed."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        local_schema.upgrade(conn, target=version)
        meta = {k: pairing[k] for k in ("terminal_id", "store_id", "merchant_id", "card_node")}
        for key, value in {**meta, "base_url": base_url}.items():
            conn.execute(
                text("INSERT INTO meta (key, value) VALUES (:k, :v)"),
                {"k": key, "v": json.dumps(value)},
            )
        conn.execute(
            text(
                "INSERT INTO outbox (seq, op_id, card_number, body, staff_pin_id, client_time, "
                "offline) VALUES (1, :id, :n, :b, :pin, :t, 1)"
            ),
            {
                "id": f"00000000-0000-4000-8000-{version:012d}",
                "n": number,
                "b": json.dumps({"type": "stamp.add", "card_number": number}),
                "pin": pairing["staff_pin_id"],
                "t": datetime.now(UTC).isoformat(),
            },
        )
    engine.dispose()


def test_every_earlier_local_schema_is_upgraded_and_its_outbox_lands_once(shop_server, tmp_path):
    shop, server = shop_server
    for version in range(1, len(local_schema.STEPS)):
        number = _enroll(server, shop, f"v{version}@x.example")
        pairing = _paired_answer(server, shop)
        pairing["staff_pin_id"] = shop.pin_ids[shop.store_ids[0]]
        path = tmp_path / f"till-v{version}.db"
        _old_till(path, version, pairing, server.url, number)

        store = LocalStore(path)  # the new release opens the old database
        client = SyncClient(store, MemoryTokens(pairing["device_token"]))
        first, again = client.sync_once(), client.sync_once()

        assert (first.online, first.pending, first.rejected) == (True, 0, 0), (version, first)
        assert again.pending == 0, version
        assert _stamps(server, shop, number) == 1, f"local schema v{version}"
