"""The live feed, server side: a held GET /api/v1/sync/wait answers when the till's data
may have changed, whichever server process committed the change (PostgreSQL
LISTEN/NOTIFY), and never misses a change that committed before it began to wait.

Order, not seconds: each test waits until the request is held (the process's feed
counts its waiters) before it makes the change; deadlines only fail with a diagnosis."""

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bench.server_process import ServerProcess
from tests.support.in_process_server import InProcessServer
from tests.support.live_feed import (
    API,
    enrolled_till,
    libpq,
    stamps,
    until,
)
from tests.support.shop import make_shop
from tests.support.till import Till

WAIT = "/api/v1/sync/wait"
LONG = 60  # the held requests' heartbeat: far beyond every deadline below
ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


class Held:
    """A held wait in a thread of its own; ``answer`` once the server answered."""

    def __init__(self, base_url: str, till: Till, timeout: float = LONG) -> None:
        self.answer: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.events: list[str] = []
        params: dict[str, Any] = {"timeout": timeout}
        if till.cursor:
            params["cursor"] = till.cursor

        def hold() -> None:
            try:
                with httpx.Client(base_url=base_url, timeout=timeout + 30) as http:
                    response = http.get(WAIT, params=params, headers=till.headers)
                assert response.status_code == 200, response.text
                self.answer = response.json()
                self.events.append("answered")
            except BaseException as exc:  # reported by result()
                self.error = exc

        self.thread = threading.Thread(target=hold, daemon=True)
        self.thread.start()

    def result(self, seconds: float = 30.0) -> dict[str, Any]:
        self.thread.join(seconds)
        assert not self.thread.is_alive(), "the held request was not answered in time"
        if self.error is not None:
            raise self.error
        assert self.answer is not None
        return self.answer


@pytest.mark.postgres
@pytest.mark.slow
def test_a_change_committed_through_one_server_process_wakes_a_till_held_by_another(
    pg_url, shop_on_pg, writer
):
    shop = shop_on_pg
    with InProcessServer(pg_url) as holder, httpx.Client(base_url=writer.url) as http:
        till, number = enrolled_till(http, shop.owner_headers)
        held = Held(holder.url, till)
        until(lambda: holder.held == 1, "the till's request is held")

        stamped = http.post(
            f"{API}/stamp", json={"card_number": number}, headers=shop.owner_headers
        )
        assert stamped.status_code == 200, stamped.text

        assert held.result() == {"changed": True, "poll": False}
        assert stamps(till, number) == 1  # the cursor, not the notification, says what


@pytest.mark.postgres
@ON_POSTGRESQL
def test_a_change_committed_before_the_wait_began_is_answered_at_once(client, backend):
    """The wait checks the cursor before it listens: the notification of a change made
    between the till's pull and its wait has passed already."""
    shop = make_shop(client.app.state.session_factory)
    till, number = enrolled_till(client, shop.owner_headers)
    client.post(f"{API}/stamp", json={"card_number": number}, headers=shop.owner_headers)

    answer = client.get(WAIT, params={"cursor": till.cursor, "timeout": LONG}, headers=till.headers)

    assert answer.json() == {"changed": True, "poll": False}
    assert stamps(till, number) == 1


@pytest.mark.postgres
@ON_POSTGRESQL
def test_a_till_with_nothing_new_hears_a_heartbeat(client, backend):
    shop = make_shop(client.app.state.session_factory)
    till, _ = enrolled_till(client, shop.owner_headers)

    answer = client.get(WAIT, params={"cursor": till.cursor, "timeout": 0.2}, headers=till.headers)

    assert answer.json() == {"changed": False, "poll": False}


@pytest.mark.postgres
@pytest.mark.slow
def test_a_change_held_back_by_an_older_writer_is_answered_once_it_can_be_pulled(
    pg_url, shop_on_pg, writer
):
    """A change that committed behind a transaction still running is not pullable yet:
    answering at once would send the till to an empty pull, and then nothing would
    wake it when the older writer ends (its commit concerns no till)."""
    shop = shop_on_pg
    database = pg_url.rsplit("/", 1)[1]
    with InProcessServer(pg_url) as holder, httpx.Client(base_url=writer.url) as http:
        till, number = enrolled_till(http, shop.owner_headers)
        with psycopg.connect(libpq(database)) as older:
            older.execute("SELECT pg_current_xact_id()")  # a writer: holds the horizon
            held = Held(holder.url, till)
            until(lambda: holder.held == 1, "the till's request is held")
            http.post(f"{API}/stamp", json={"card_number": number}, headers=shop.owner_headers)
            time.sleep(0.5)  # room for a wrong early answer; the order below is the check
            held.events.append("older writer ends")
        assert held.result() == {"changed": True, "poll": False}
        assert held.events == ["older writer ends", "answered"]
        assert stamps(till, number) == 1


@pytest.mark.postgres
@ON_POSTGRESQL
def test_a_program_change_wakes_a_till_though_its_cursor_sees_nothing_new(client, backend):
    """The program and settings come whole with every pull page, not by cursor: their
    notification is passed on without the cursor check."""
    shop = make_shop(client.app.state.session_factory)
    till, _ = enrolled_till(client, shop.owner_headers)
    base = str(client.base_url)
    answers: list[dict[str, Any]] = []

    def hold() -> None:
        params = {"cursor": till.cursor, "timeout": LONG}
        answers.append(client.get(WAIT, params=params, headers=till.headers).json())

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    until(lambda: client.app.state.feed.waiting == 1, f"the till's request is held on {base}")
    client.put(f"{API}/program", json={"cooldown_minutes": 15}, headers=shop.owner_headers)
    thread.join(30)

    assert answers == [{"changed": True, "poll": False}]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_server_on_sqlite_tells_the_till_to_poll(client, backend):
    shop = make_shop(client.app.state.session_factory)
    till, _ = enrolled_till(client, shop.owner_headers)

    answer = client.get(WAIT, params={"cursor": till.cursor, "timeout": LONG}, headers=till.headers)

    assert answer.json() == {"changed": False, "poll": True}


@pytest.mark.postgres
@pytest.mark.slow
def test_a_stopping_server_answers_its_held_requests_at_once(pg_url, shop_on_pg):
    """uvicorn lets every request finish before it stops: a held request would keep a
    restart waiting for its heartbeat (and the till offline meanwhile)."""
    server = ServerProcess(pg_url, workers=1)
    server.start()
    try:
        with httpx.Client(base_url=server.url) as http:
            till, _ = enrolled_till(http, shop_on_pg.owner_headers)
        held = Held(server.url, till)
        until(lambda: _read_by_server(server.port) == 1, "the till's request is held")
        assert server.proc is not None
        os.killpg(server.proc.pid, signal.SIGTERM)
        assert held.result() == {"changed": False, "poll": True}
    finally:
        server.stop()


def _read_by_server(port: int) -> int:
    """Connections the server accepted (an inode) and whose request it has read (an
    empty receive queue), from the kernel's table: the subprocess cannot be asked."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        established, unread, inode = fields[3] == "01", int(fields[4].split(":")[1], 16), fields[9]
        count += local_port == port and established and unread == 0 and inode != "0"
    return count
