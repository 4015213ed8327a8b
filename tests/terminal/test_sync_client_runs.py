"""The till's background sync worker (``SyncClient.run``) against a server on SQLite in
this process: it polls a server without a live feed, it knocks on a server that is
down and syncs once it answers, and a round that fails inside the till is told and the
worker goes on. The other sync client tests need PostgreSQL or server processes; these
reach the loop with short intervals. Assertions are on state and order; deadlines only
diagnose.

Planted bugs each test was seen failing on are in its docstring (mutmut's names:
``SyncClient.run``, ``_held``, ``_probe_until_answered``)."""

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient, SyncState
from desktop.engine.tokens import MemoryTokens
from sync_server.db import make_engine, make_session_factory
from tests.support.in_process_server import InProcessServer
from tests.support.shop import Shop, make_shop
from tests.support.terminals import pairing_code

API = "/api/v1/store/loyalty"
SHORT = 0.05  # every wait of the worker: a round, a backoff, a probe
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _until(condition: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached in time: {what}"
        time.sleep(0.02)


class Recording(httpx.HTTPTransport):
    """The real transport, noting each path asked for (and each that failed)."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = super().handle_request(request)
        except httpx.HTTPError:
            self.log.append(f"{request.url.path} failed")
            raise
        self.log.append(request.url.path)
        return response


class RecordingFeed(httpx.AsyncHTTPTransport):
    """The live feed's real transport, noting each wait asked for."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request.url.path)
        return await super().handle_async_request(request)


class FailingOnce(MemoryTokens):
    """A token store that breaks once after pairing (a keyring that fails): a fault
    inside the till, not an answer of the server."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def get(self) -> str | None:
        if self.armed:
            self.armed = False
            raise OSError("the keyring is locked")
        return super().get()


class Worker:
    def __init__(self, client: SyncClient, log: list[str]) -> None:
        self.client, self.log = client, log
        self.states: list[SyncState] = []
        client.on_state = self.states.append
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=client.run,
            args=(self.stop,),
            kwargs={"interval": SHORT, "max_backoff": SHORT, "probe_interval": SHORT},
            daemon=True,
        )

    def stamps(self, number: str) -> int:
        card = self.client.store.snapshot_card(number)
        return -1 if card is None else card.stamp_count


@pytest.fixture
def shop(db_url) -> Iterator[Shop]:
    engine = make_engine(db_url)
    yield make_shop(make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def server(db_url) -> Iterator[InProcessServer]:
    with InProcessServer(db_url) as running:
        yield running


@pytest.fixture
def worker(tmp_path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def make(tokens: MemoryTokens | None = None) -> Worker:
        log: list[str] = []
        client = SyncClient(
            LocalStore(tmp_path / f"till{len(started)}.db"),
            tokens or MemoryTokens(),
            transport=Recording(log),
            feed_transport=RecordingFeed(log),
        )
        started.append(Worker(client, log))
        return started[-1]

    yield make
    for each in started:
        each.stop.set()
        each.client.wake()
        each.thread.join(15)
        each.client.close()
        assert not each.thread.is_alive(), "the worker did not stop when told"


def _enroll(owner: httpx.Client) -> str:
    answer = owner.post(f"{API}/cards/enroll", json={"email": "a@x.example"})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["card_number"])


def test_a_server_without_a_live_feed_is_polled_and_not_asked_for_one_again(shop, server, worker):
    """Planted: ``_held`` with ``and`` for the first ``or`` (the feed asked again every
    round though the server said to poll); the jitter as ``random.uniform(1.2)`` (the
    worker dies after its first round)."""
    with httpx.Client(base_url=server.url, headers=shop.owner_headers) as owner:
        number = _enroll(owner)
        till = worker()
        till.client.pair(server.url, pairing_code(owner), "Front till")
        till.thread.start()
        _until(lambda: till.stamps(number) == 0, "the first sync")

        assert owner.post(f"{API}/stamp", json={"card_number": number}).status_code == 200

        _until(lambda: till.stamps(number) == 1, "the stamp, by polling")
        pulls = till.log.count("/api/v1/sync/pull")
        _until(lambda: till.log.count("/api/v1/sync/pull") >= pulls + 3, "still polling")
    assert till.thread.is_alive()
    assert till.client.state.online
    assert till.log.count("/api/v1/sync/stream") == 1, "told to poll, asked again"


def test_a_server_that_is_down_is_probed_and_synced_with_as_soon_as_it_answers(
    db_url, shop, worker
):
    """While the server cannot be reached the worker knocks (GET /health), then syncs.
    Planted: the backoff as ``min(max_backoff, )`` and the probe's interval left out
    (the worker dies at its first failed round); ``_probe_until_answered`` looping
    ``while stop.is_set()`` (no knock at all, full rounds instead)."""
    later = InProcessServer(db_url)  # its port is chosen, nothing listens on it yet
    with (
        InProcessServer(db_url) as first,
        httpx.Client(base_url=first.url, headers=shop.owner_headers) as owner,
    ):
        number = _enroll(owner)
        till = worker()
        till.client.pair(first.url, pairing_code(owner), "Front till")
    with till.client.store.transaction() as conn:
        till.client.store.set_meta(conn, "base_url", later.url)
    till.thread.start()

    _until(lambda: till.log.count("/health failed") >= 2, "knocking on the closed port")
    assert till.stamps(number) == -1
    assert not till.client.state.online
    with later:
        _until(lambda: till.stamps(number) == 0, "the sync once the server answers")
        _until(lambda: till.client.state.online, "online again")
        before_the_pull = till.log[: till.log.index("/api/v1/sync/pull")]
    assert before_the_pull.count("/health failed") >= 2
    assert before_the_pull[-1] == "/health", before_the_pull  # knocked, then synced


def test_a_round_that_fails_inside_the_till_is_told_and_the_worker_goes_on(shop, server, worker):
    """Planted: the failed round published with ``online=None`` (not a clear offline
    state); the worker's loop ending with the exception."""
    tokens = FailingOnce()
    with httpx.Client(base_url=server.url, headers=shop.owner_headers) as owner:
        number = _enroll(owner)
        till = worker(tokens)
        till.client.pair(server.url, pairing_code(owner), "Front till")
        tokens.armed = True
        till.thread.start()
        _until(lambda: till.stamps(number) == 0, "the next round syncs")
        _until(lambda: till.client.state.online, "online")

    failed = next(s for s in till.states if s.error and "Sync failed in the till" in s.error)
    assert failed.online is False
    assert failed.pulling is False
    assert "the keyring is locked" in failed.error
    assert till.states.index(failed) < max(i for i, s in enumerate(till.states) if s.online)
