"""A till whose server was unreachable is back online as soon as the server answers,
not after its exponential backoff (a minute, once a few rounds have failed).

The backoff here is an hour, so only the probe can bring the till back before the
test's deadline; the assertions are on order and state, not on seconds."""

import threading
import time

import httpx
import pytest

from bench.server_process import ServerProcess
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import KeyringTokens, SyncClient
from sync_server.db import make_engine, make_session_factory
from tests.support.shop import make_shop

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
HOUR = 3600.0


class Recording(httpx.HTTPTransport):
    """The real transport, noting each path asked for (the order of the conversation)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)


def _wait_until(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached in time: {what}"
        time.sleep(0.02)


@pytest.fixture
def till(pg_url, tmp_path, file_keyring):
    engine = make_engine(pg_url)
    shop = make_shop(make_session_factory(engine))
    server = ServerProcess(pg_url, workers=1)
    server.start()
    code = httpx.post(
        f"{server.url}/api/v1/terminals/pairing-codes", headers=shop.owner_headers
    ).json()["code"]
    transport = Recording()
    client = SyncClient(LocalStore(tmp_path / "till.db"), KeyringTokens("t"), transport=transport)
    client.pair(server.url, code, "Front till")
    stop = threading.Event()
    worker = threading.Thread(
        target=client.run,
        args=(stop,),
        kwargs={"interval": HOUR, "max_backoff": HOUR, "probe_interval": 0.05},
    )
    worker.start()
    yield server, client, transport
    stop.set()
    client.wake()
    worker.join(timeout=15)
    server.stop()
    engine.dispose()
    assert not worker.is_alive()


def test_the_till_is_back_online_as_soon_as_its_server_answers_again(till):
    server, client, transport = till
    _wait_until(lambda: client.state.online, "first sync")

    server.stop()
    client.wake()  # a new op: a round that finds nobody there
    _wait_until(lambda: not client.state.online, "offline")
    _wait_until(lambda: transport.paths.count("/health") >= 3, "probing while down")

    server.start()
    _wait_until(lambda: client.state.online, "online again before the hour of backoff")

    # The probe that found the server is followed by a round, and nothing else.
    answered = max(i for i, path in enumerate(transport.paths) if path == "/health")
    then = transport.paths[answered + 1 :]
    assert then, transport.paths
    assert all(path.startswith("/api/v1/sync/") for path in then), transport.paths


def test_a_server_that_answers_with_errors_is_not_probed_but_backed_off(tmp_path):
    """A server that answers (a 5xx from a broken deploy) is reachable: hammering it
    with probes and rounds would not help it, so the till backs off instead."""
    store = LocalStore(tmp_path / "till.db")
    calls: list[str] = []

    def broken(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, json={"code": "DATABASE_UNAVAILABLE", "message": "down"})

    class Tokens:
        def get(self) -> str:
            return "token"

        def set(self, token: str) -> None: ...

        def delete(self) -> None: ...

    with store.transaction() as conn:
        store.set_meta(conn, "base_url", "http://127.0.0.1:9")
    client = SyncClient(store, Tokens(), transport=httpx.MockTransport(broken))
    stop = threading.Event()
    worker = threading.Thread(
        target=client.run,
        args=(stop,),
        kwargs={"interval": HOUR, "max_backoff": HOUR, "probe_interval": 0.01},
    )
    worker.start()
    _wait_until(lambda: client.state.error is not None, "the first round failed")
    time.sleep(0.3)  # thirty probe intervals: no probe may happen in them
    stop.set()
    client.wake()
    worker.join(timeout=15)

    assert "/health" not in calls
    assert calls == ["/api/v1/sync/push"] or calls == ["/api/v1/sync/pull"], calls
