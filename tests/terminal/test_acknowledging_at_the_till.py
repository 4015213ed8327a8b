"""Acknowledging the attention list at the till: the engine queues an
``attention.acknowledge`` op in its outbox, and after a sync the server's attention
list shows it acknowledged by the staff member whose PIN was given (issue #12, bug 7:
before, the acknowledgement never left the till)."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.server_process import ServerProcess, free_port
from common.operations import AcknowledgeAttention, RedeemPoints
from desktop.engine.sync_client import SyncState
from desktop.engine.terminal import Terminal
from desktop.engine.till import Confirmed, Till
from sync_server.db import make_engine, make_session_factory
from sync_server.models.sync import SyncOp
from tests.support.shop import Shop, make_shop
from tests.support.terminals import new_terminal, pairing_code

API = "/api/v1/store/loyalty"
ATTENTION = "/api/v1/terminals/attention"


@dataclass
class World:
    terminal: Terminal
    shop: Shop
    http: httpx.Client
    factory: sessionmaker[Session]
    url: str

    @property
    def pin_id(self) -> int:
        return self.shop.pin_ids[self.shop.store_ids[0]]

    def items(self) -> dict[str, dict]:
        listed = self.http.get(ATTENTION, params={"include_acknowledged": True})
        assert listed.status_code == 200, listed.text
        return {i["op_id"]: i for i in listed.json()["items"]}

    def point_at(self, url: str) -> None:
        with self.terminal.store.transaction() as conn:
            self.terminal.store.set_meta(conn, "base_url", url)


@pytest.fixture
def world(db_url, tmp_path) -> Iterator[World]:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    shop = make_shop(factory, cooldown_minutes=0, welcome_bonus_points=30)
    server = ServerProcess(db_url, workers=1)
    server.start()
    http = httpx.Client(base_url=server.url, headers=shop.owner_headers, timeout=10)
    terminal = new_terminal(tmp_path / "till")
    terminal.client.pair(server.url, pairing_code(http), "Front till")
    yield World(terminal, shop, http, factory, server.url)
    terminal.close()
    http.close()
    server.stop()
    engine.dispose()


def _flagged(world: World) -> str:
    """An offline redemption of points another counter spent meanwhile: applied with
    OFFLINE_OVERSPEND, on the attention list. Returns its op_id."""
    card = world.http.post(f"{API}/cards/enroll", json={"email": "a@x.example"}).json()
    number = card["card_number"]
    _sync_until(world, lambda _: world.terminal.store.card_id(number) is not None)
    done = Till(world.terminal.store).perform(
        RedeemPoints(card_number=card["card_number"], reward_id="ten"), world.pin_id
    )
    assert isinstance(done, Confirmed)
    for _ in range(3):
        spent = world.http.post(
            f"{API}/points/redeem", json={"card_number": card["card_number"], "reward_id": "ten"}
        )
        assert spent.status_code == 200, spent.text
    assert world.terminal.client.sync_once().online
    [flagged] = world.terminal.attention()
    assert flagged.outcome is not None
    assert flagged.outcome["code"] == "OFFLINE_OVERSPEND"
    return flagged.op_id


def _sync_until(world: World, done: Callable[[SyncState], bool]) -> SyncState:
    """Rounds until ``done``: on PostgreSQL a pull lags while any writing transaction
    on the cluster is open (it says ``caught_up: false``); the till pulls again."""
    deadline = time.monotonic() + 30
    state = world.terminal.client.sync_once()
    while not done(state) and time.monotonic() < deadline:
        time.sleep(0.05)
        state = world.terminal.client.sync_once()
    return state


def test_an_acknowledgement_at_the_till_reaches_the_server_after_a_sync(world):
    """Caught: the till marked its own row and the server kept acknowledged_at null."""
    flagged = _flagged(world)

    world.terminal.acknowledge([flagged], world.pin_id)

    assert world.terminal.attention() == []
    [queued] = world.terminal.store.entries()
    assert queued.op == AcknowledgeAttention(op_id=flagged)
    assert queued.staff_pin_id == world.pin_id
    assert world.terminal.client.state.pending == 1
    assert world.items()[flagged]["acknowledged_at"] is None

    state = world.terminal.client.sync_once()

    assert state.online
    assert state.pending == 0
    assert state.rejected == 0
    item = world.items()[flagged]
    assert item["acknowledged_at"] is not None
    assert item["acknowledged_by"] == "Sam"
    assert item["acknowledged_by_pin_id"] == world.pin_id


def test_an_acknowledgement_made_offline_waits_in_the_outbox_and_lands_once(world):
    """Offline, it waits like any op; back online it is pushed, and a second round
    sends nothing again (one acknowledgement op on the server)."""
    flagged = _flagged(world)
    world.point_at(f"http://127.0.0.1:{free_port()}")
    assert not world.terminal.client.sync_once().online

    world.terminal.acknowledge([flagged], world.pin_id)
    assert not world.terminal.client.sync_once().online
    assert world.terminal.client.state.pending == 1
    world.point_at(world.url)
    assert world.terminal.client.sync_once().online
    assert world.terminal.client.sync_once().online

    assert world.items()[flagged]["acknowledged_at"] is not None
    [queued] = world.terminal.store.entries(status=None)[-1:]
    assert queued.offline
    with world.factory() as session:
        acks = session.scalar(
            select(func.count(SyncOp.id)).where(SyncOp.op_type == "attention.acknowledge")
        )
    assert acks == 1


def test_an_acknowledgement_made_elsewhere_clears_the_tills_list_at_the_next_pull(world):
    """The owner acknowledges through the API: the till that raised the item learns it
    from its pull (op_outcomes carry acknowledged_at) and its list and count clear."""
    flagged = _flagged(world)
    item_id = world.items()[flagged]["id"]
    done = world.http.post(f"{ATTENTION}/{item_id}/acknowledge")
    assert done.status_code == 200, done.text

    state = _sync_until(world, lambda s: s.rejected == 0)

    assert state.rejected == 0
    assert world.terminal.attention() == []
    [seen] = world.terminal.store.attention(include_acknowledged=True)
    assert seen.acknowledged_by == world.shop.owner_email
    assert seen.acknowledged_at is not None
    assert seen.acknowledged_at <= datetime.now(UTC)
