"""The till on the live feed, against real servers: a change committed through one
server process reaches a till held by another, a local op goes out at once though a
wait is held, a feed connection that dies silently is noticed within the heartbeat
and the till falls back to a round and polling, and a server on SQLite is polled.

Polling is set to an hour, so only the feed (or its fall-back) can bring a change in
before a deadline; the assertions are on state and order, deadlines only diagnose."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from bench.server_process import ServerProcess
from common.operations import AddStamp
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import QUIET_HEARTBEATS_PER_ROUND, SyncClient
from desktop.engine.till import Confirmed, Till
from desktop.engine.tokens import MemoryTokens
from sync_server.db import make_engine, make_session_factory
from tests.support.in_process_server import InProcessServer
from tests.support.shop import Shop, make_shop
from tests.support.silent_proxy import SilentProxy
from tests.support.terminals import pairing_code

API = "/api/v1/store/loyalty"
HOUR = 3600.0
LONG = 60.0  # a heartbeat beyond every deadline below


def _until(condition: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached in time: {what}"
        time.sleep(0.02)


class Recording(httpx.HTTPTransport):
    """The real transport, noting each path asked for in a shared, ordered log."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = super().handle_request(request)
        except httpx.HTTPError as exc:
            self.log.append(f"{request.url.path} failed: {type(exc).__name__}")
            raise
        self.log.append(request.url.path)
        return response


class RecordingFeed(httpx.AsyncHTTPTransport):
    """The live feed's real transport, noting how each held wait ended."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.HTTPError as exc:
            self.log.append(f"wait failed: {type(exc).__name__}")
            raise
        self.log.append("wait answered")
        return response


@dataclass
class RunningTill:
    client: SyncClient
    log: list[str]
    stop: threading.Event
    thread: threading.Thread

    def stamps(self, number: str) -> int:
        card = self.client.store.snapshot_card(number)
        return -1 if card is None else card.stamp_count


@pytest.fixture
def shop(pg_url) -> Iterator[Shop]:
    engine = make_engine(pg_url)
    yield make_shop(make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def start_till(tmp_path) -> Iterator[Callable[..., RunningTill]]:
    started: list[RunningTill] = []

    def start(
        base_url: str, owner: httpx.Client, interval: float = HOUR, heartbeat: float = LONG
    ) -> RunningTill:
        log: list[str] = []
        client = SyncClient(
            LocalStore(tmp_path / f"till{len(started)}.db"),
            MemoryTokens(),
            transport=Recording(log),
            feed_transport=RecordingFeed(log),
        )
        client.pair(base_url, pairing_code(owner), "Front till")
        stop = threading.Event()
        thread = threading.Thread(
            target=client.run,
            args=(stop,),
            kwargs={"interval": interval, "max_backoff": HOUR, "heartbeat": heartbeat},
            daemon=True,
        )
        thread.start()
        started.append(RunningTill(client, log, stop, thread))
        return started[-1]

    yield start
    for till in started:
        till.stop.set()
        till.client.wake()
        till.thread.join(15)
        till.client.close()
        assert not till.thread.is_alive()


def _enroll(owner: httpx.Client) -> str:
    return str(
        owner.post(f"{API}/cards/enroll", json={"email": "a@x.example"}).json()["card_number"]
    )


def _stamp(owner: httpx.Client, number: str) -> None:
    assert owner.post(f"{API}/stamp", json={"card_number": number}).status_code == 200


@pytest.mark.postgres
@pytest.mark.slow
def test_a_change_through_one_server_process_reaches_a_till_held_by_another(
    pg_url, shop, start_till
):
    writer = ServerProcess(pg_url, workers=1)
    writer.start()
    try:
        with (
            InProcessServer(pg_url) as holder,
            httpx.Client(base_url=writer.url, headers=shop.owner_headers) as owner,
        ):
            number = _enroll(owner)
            till = start_till(holder.url, owner)
            _until(lambda: till.stamps(number) == 0 and holder.held == 1, "synced, then held")

            _stamp(owner, number)

            _until(lambda: till.stamps(number) == 1, "the stamp at the till, polling an hour")
    finally:
        writer.stop()


@pytest.mark.postgres
@pytest.mark.slow
def test_an_op_made_while_a_wait_is_held_goes_out_at_once(pg_url, shop, start_till):
    """wake() drops the held request: the op does not wait for the heartbeat."""
    with (
        InProcessServer(pg_url) as server,
        httpx.Client(base_url=server.url, headers=shop.owner_headers) as owner,
    ):
        number = _enroll(owner)
        till = start_till(server.url, owner)
        _until(lambda: till.stamps(number) == 0 and server.held == 1, "synced, then held")

        made = Till(till.client.store).perform(
            AddStamp(card_number=number), shop.pin_ids[shop.store_ids[0]]
        )
        assert isinstance(made, Confirmed)
        till.client.wake()

        _until(lambda: till.client.store.entries() == [], "the op pushed within the heartbeat")
        assert owner.get(f"{API}/cards/lookup", params={"q": number}).status_code == 200


@pytest.mark.postgres
@pytest.mark.slow
def test_a_feed_connection_that_dies_silently_is_noticed_and_the_till_falls_back(
    pg_url, shop, start_till
):
    """A NAT that forgets the till's connections: no FIN, no RST, nothing more crosses.
    The held wait's read timeout (heartbeat + margin) ends it; a round follows at once
    and finds the change the swallowed answer was about."""
    with (
        InProcessServer(pg_url) as server,
        SilentProxy(server.port) as proxy,
        httpx.Client(base_url=server.url, headers=shop.owner_headers) as owner,
    ):
        number = _enroll(owner)
        till = start_till(proxy.url, owner, heartbeat=5.0)
        _until(lambda: till.stamps(number) == 0 and server.held == 1, "synced, then held")

        assert proxy.go_silent() >= 1
        _stamp(owner, number)  # the server answers the held wait; the answer is lost

        _until(lambda: till.stamps(number) == 1, "the stamp, after the silent loss")
        failed = till.log.index("wait failed: ReadTimeout")
        assert "/api/v1/sync/pull" in till.log[failed:], till.log
        assert till.client.state.online


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_till_of_a_server_on_sqlite_keeps_polling(db_url, start_till):
    url = db_url
    engine = make_engine(url)
    shop = make_shop(make_session_factory(engine))
    server = ServerProcess(url, workers=1)
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers=shop.owner_headers) as owner:
            number = _enroll(owner)
            till = start_till(server.url, owner, interval=0.1)
            _until(lambda: till.stamps(number) == 0, "synced")
            _stamp(owner, number)
            _until(lambda: till.stamps(number) == 1, "the stamp, by polling")
            pulls = till.log.count("/api/v1/sync/pull")
            _until(lambda: till.log.count("/api/v1/sync/pull") >= pulls + 3, "still polling")

        assert till.log.count("wait answered") == 1  # told to poll, not asked again
    finally:
        server.stop()
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_quiet_heartbeats_hold_again_without_a_pull_and_a_round_comes_every_twelfth(
    pg_url, shop, start_till
):
    """Each wait checks the cursor first, so a quiet heartbeat needs no pull: the idle
    till costs the server one request per heartbeat, not two. The program has no change
    stamp a wait can check, so the 12th quiet heartbeat in a row makes a round anyway.
    Planted bug: the round after every heartbeat (as before) -> a pull between the
    first waits; a loop that never makes a round -> no pull after the 12th."""
    with (
        InProcessServer(pg_url) as server,
        httpx.Client(base_url=server.url, headers=shop.owner_headers) as owner,
    ):
        number = _enroll(owner)
        till = start_till(server.url, owner, heartbeat=0.2)
        _until(lambda: till.stamps(number) == 0, "the first sync")
        start = len(till.log)
        _until(
            lambda: till.log[start:].count("wait answered") >= QUIET_HEARTBEATS_PER_ROUND + 2,
            "more than twelve quiet heartbeats",
        )
        after = till.log[start:]
        # The first quiet stretch: waits only, up to the 12th, then a round.
        first_pull = after.index("/api/v1/sync/pull")
        assert after[:first_pull].count("wait answered") == QUIET_HEARTBEATS_PER_ROUND
        assert all(entry == "wait answered" for entry in after[:first_pull])

        _stamp(owner, number)

        _until(lambda: till.stamps(number) == 1, "a change still comes at once")
