"""The till on the live feed, against real servers: a change committed through one
server process reaches a till held by another, a local op goes out at once though a
wait is held, a feed connection that dies silently is noticed within the heartbeat
and the till falls back to a round and polling, and a server on SQLite is polled.

Polling is set to an hour, so only the feed (or its fall-back) can bring a change in
before a deadline; the assertions are on state and order, deadlines only diagnose."""

import itertools
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bench.server_process import ServerProcess
from common.operations import AddStamp
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient
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
    """The live feed's real transport, noting each stream opened, each event it carried
    but heartbeats, and how it failed."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.HTTPError as exc:
            self.log.append(f"stream failed: {type(exc).__name__}")
            raise
        self.log.append("stream opened")
        response.stream = _RecordedBody(response.stream, self.log)
        return response


class _RecordedBody(httpx.AsyncByteStream):
    def __init__(self, inner: Any, log: list[str]) -> None:
        self.inner, self.log = inner, log

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                for name in re.findall(rb"event: (\w+)", chunk):
                    if name not in (b"ready", b"heartbeat"):
                        self.log.append(f"event: {name.decode()}")
                yield chunk
        except httpx.HTTPError as exc:
            self.log.append(f"stream failed: {type(exc).__name__}")
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()


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
def test_an_op_made_while_the_stream_is_open_goes_out_at_once_and_the_stream_stays(
    pg_url, shop, start_till
):
    """wake() makes a round now: the op does not wait for a change or the heartbeat,
    and the stream is not dropped and opened again for it."""
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
        pushed = till.log.index("/api/v1/sync/push")
        _until(lambda: "/api/v1/sync/pull" in till.log[pushed:], "the round's pull")
        time.sleep(0.5)  # room for a wrong reopening after the round
        assert till.log.count("stream opened") == 1, till.log
        assert server.held == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_a_feed_connection_that_dies_silently_is_noticed_and_the_till_falls_back(
    pg_url, shop, start_till
):
    """A NAT that forgets the till's connections: no FIN, no RST, nothing more crosses.
    The stream's read timeout (heartbeat + margin) ends it; a round follows at once
    and finds the change the swallowed announcement was about."""
    with (
        InProcessServer(pg_url) as server,
        SilentProxy(server.port) as proxy,
        httpx.Client(base_url=server.url, headers=shop.owner_headers) as owner,
    ):
        number = _enroll(owner)
        till = start_till(proxy.url, owner, heartbeat=5.0)
        _until(lambda: till.stamps(number) == 0 and server.held == 1, "synced, then held")

        assert proxy.go_silent() >= 1
        _stamp(owner, number)  # the server announces it; the announcement is lost

        _until(lambda: till.stamps(number) == 1, "the stamp, after the silent loss")
        failed = till.log.index("stream failed: ReadTimeout")
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

        assert till.log.count("stream opened") == 1, till.log  # told to poll, not asked again
        assert till.log.count("event: poll") == 1
    finally:
        server.stop()
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_quiet_till_asks_nothing_while_its_stream_is_open_and_a_round_comes_at_its_end(
    pg_url, shop, start_till
):
    """Heartbeats keep the stream alive without a request or a pull: an idle till costs
    the server one stream per lifetime (here 2.5 s, a heartbeat every second). The program
    has no change stamp, so the round at each stream's end is what brings a change
    whose notification was lost; then another stream opens. Planted bugs: a round on
    every wake-up timeout of 0.1 s (requests during the stream); no round at the end
    (no pull between streams)."""
    with (
        InProcessServer(pg_url, stream_lifetime_s=2.5) as server,
        httpx.Client(base_url=server.url, headers=shop.owner_headers) as owner,
    ):
        number = _enroll(owner)
        till = start_till(server.url, owner, heartbeat=1.0)
        _until(lambda: till.stamps(number) == 0, "the first sync")
        _until(lambda: till.log.count("stream opened") >= 4, "three streams ended")

        log = till.log[till.log.index("stream opened") :]
        streams = [i for i, entry in enumerate(log) if entry == "stream opened"][:4]
        for opened, following in itertools.pairwise(streams):
            between = log[opened + 1 : following]
            ended = between.index("event: end")
            assert between[:ended] == [], log  # nothing asked while the stream was open
            assert "/api/v1/sync/pull" in between[ended:], log

        _stamp(owner, number)

        _until(lambda: till.stamps(number) == 1, "a change still comes at once")
