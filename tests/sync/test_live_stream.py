"""The live feed as a stream, server side: GET /api/v1/sync/stream sends a till
``changed`` whenever its data may have changed, whichever server process committed it
(PostgreSQL LISTEN/NOTIFY), for as long as the stream lasts; ``heartbeat`` in between
costs no database call; ``end`` when its time is up; ``poll`` without a live feed.

Order, not seconds: each test waits until the stream is held (the process's feed counts
its waiters) before it makes the change; deadlines only fail with a diagnosis."""

import os
import signal
import threading
import time
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import event

from bench.server_process import ServerProcess
from sync_server.db import make_engine, make_session_factory
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

STREAM = "/api/v1/sync/stream"
LONG = 60  # a heartbeat far beyond every deadline below


class Listening:
    """A till's stream read in a thread of its own: ``events`` as they arrive."""

    def __init__(
        self, base_url: str, till: Till, heartbeat: float = LONG, cursor: str | None = None
    ) -> None:
        self.events: list[str] = []
        self.status: int | None = None
        self.error: BaseException | None = None
        self._close = threading.Event()
        params: dict[str, Any] = {"heartbeat": heartbeat}
        if cursor or till.cursor:
            params["cursor"] = cursor or till.cursor

        def listen() -> None:
            try:
                timeout = httpx.Timeout(10.0, read=heartbeat + 30)
                with (
                    httpx.Client(base_url=base_url, timeout=timeout) as http,
                    http.stream("GET", STREAM, params=params, headers=till.headers) as response,
                ):
                    self.status = response.status_code
                    for line in response.iter_lines():
                        if line.startswith("event: "):
                            self.events.append(line.removeprefix("event: "))
                        if self._close.is_set():
                            return
            except BaseException as exc:  # reported by ended()
                self.error = exc

        self.thread = threading.Thread(target=listen, daemon=True)
        self.thread.start()

    def wait_for(self, events: list[str], seconds: float = 30.0) -> None:
        until(lambda: self.events[: len(events)] == events or self.error, f"events {events}")
        assert self.error is None, self.error
        assert self.events[: len(events)] == events, self.events

    def ended(self, seconds: float = 30.0) -> list[str]:
        self.thread.join(seconds)
        assert not self.thread.is_alive(), f"the stream did not end in time: {self.events}"
        if self.error is not None:
            raise self.error
        return self.events

    def close(self) -> None:
        self._close.set()


def _stamp(http: httpx.Client, owner: dict[str, str], number: str) -> None:
    stamped = http.post(f"{API}/stamp", json={"card_number": number}, headers=owner)
    assert stamped.status_code == 200, stamped.text


@pytest.mark.postgres
@pytest.mark.slow
def test_changes_through_another_server_process_reach_a_stream_one_after_another(
    pg_url, shop_on_pg, writer
):
    """The stream stays open across changes: each one is announced, and a change the
    till has pulled meanwhile is not announced again."""
    owner = shop_on_pg.owner_headers
    with InProcessServer(pg_url) as holder, httpx.Client(base_url=writer.url) as http:
        till, number = enrolled_till(http, owner)
        listening = Listening(holder.url, till)
        listening.wait_for(["ready"])
        until(lambda: holder.held == 1, "the till's stream is held")

        _stamp(http, owner, number)
        listening.wait_for(["ready", "changed"])
        assert stamps(till, number) == 1  # the cursor, not the stream, says what changed
        time.sleep(0.5)  # room for a wrong second announcement of the same change
        assert listening.events == ["ready", "changed"]

        _stamp(http, owner, number)
        listening.wait_for(["ready", "changed", "changed"])
        assert stamps(till, number) == 2
        listening.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_change_committed_before_the_stream_opened_is_announced_at_once(pg_url, shop_on_pg):
    owner = shop_on_pg.owner_headers
    with InProcessServer(pg_url) as server, httpx.Client(base_url=server.url) as http:
        till, number = enrolled_till(http, owner)
        _stamp(http, owner, number)

        listening = Listening(server.url, till)

        listening.wait_for(["ready", "changed"])
        assert stamps(till, number) == 1
        listening.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_quiet_stream_hears_heartbeats_and_costs_no_database_call(pg_url, shop_on_pg):
    owner = shop_on_pg.owner_headers
    with InProcessServer(pg_url) as server, httpx.Client(base_url=server.url) as http:
        till, _ = enrolled_till(http, owner)
        listening = Listening(server.url, till, heartbeat=1)
        listening.wait_for(["ready"])
        time.sleep(0.3)  # the stream's first look at the cursor is behind it
        checkouts: list[object] = []
        event.listen(server.app.state.engine, "checkout", lambda *_: checkouts.append(1))

        listening.wait_for(["ready", "heartbeat", "heartbeat"], seconds=10)

        assert checkouts == []
        listening.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_change_held_back_by_an_older_writer_is_announced_once_it_can_be_pulled(
    pg_url, shop_on_pg, writer
):
    """Announced at once, it would send the till to an empty pull, and nothing would
    announce it again when the older writer ends (its commit concerns no till)."""
    owner = shop_on_pg.owner_headers
    database = pg_url.rsplit("/", 1)[1]
    with InProcessServer(pg_url) as holder, httpx.Client(base_url=writer.url) as http:
        till, number = enrolled_till(http, owner)
        listening = Listening(holder.url, till)
        listening.wait_for(["ready"])
        until(lambda: holder.held == 1, "the till's stream is held")
        with psycopg.connect(libpq(database)) as older:
            older.execute("SELECT pg_current_xact_id()")  # a writer: holds the horizon
            _stamp(http, owner, number)
            time.sleep(0.5)  # room for a wrong early announcement
            listening.events.append("older writer ends")
        listening.wait_for(["ready", "older writer ends", "changed"])
        assert stamps(till, number) == 1
        listening.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_program_change_is_announced_though_the_cursor_sees_nothing_new(pg_url, shop_on_pg):
    owner = shop_on_pg.owner_headers
    with InProcessServer(pg_url) as server, httpx.Client(base_url=server.url) as http:
        till, _ = enrolled_till(http, owner)
        listening = Listening(server.url, till)
        listening.wait_for(["ready"])
        until(lambda: server.held == 1, "the till's stream is held")

        http.put(f"{API}/program", json={"cooldown_minutes": 15}, headers=owner)

        listening.wait_for(["ready", "changed"])
        listening.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_till_revoked_or_moved_while_its_stream_is_open_is_woken_for_a_round(pg_url):
    """The stream authenticated once: what happens to the till itself is announced, so
    its round learns it now (401 and a wipe, or the other store's data), not at the
    stream's end. A pull, which records its time on the till's row, is not announced."""
    engine = make_engine(pg_url)
    shop = make_shop(make_session_factory(engine), stores=2)
    engine.dispose()
    owner = shop.owner_headers
    with InProcessServer(pg_url) as server, httpx.Client(base_url=server.url) as http:
        till, _ = enrolled_till(http, owner)
        listening = Listening(server.url, till)
        listening.wait_for(["ready"])
        until(lambda: server.held == 1, "the till's stream is held")

        till.pull_all()  # its own pulls write its row
        time.sleep(0.5)  # room for a wrong announcement
        assert listening.events == ["ready"]

        moved = http.post(
            f"/api/v1/terminals/{till.terminal_id}/move",
            json={"store_id": shop.store_ids[1]},
            headers=owner,
        )
        assert moved.status_code == 200, moved.text
        listening.wait_for(["ready", "changed"])

        revoked = http.post(f"/api/v1/terminals/{till.terminal_id}/revoke", headers=owner)
        assert revoked.status_code == 200, revoked.text
        listening.wait_for(["ready", "changed", "changed"])
        listening.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_stream_ends_when_its_time_is_up_and_its_waiter_is_forgotten(pg_url, shop_on_pg):
    """The till then makes a round (its token checked again, whatever a lost
    notification left unannounced brought) and opens another."""
    owner = shop_on_pg.owner_headers
    with (
        InProcessServer(pg_url, stream_lifetime_s=1.0) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        till, _ = enrolled_till(http, owner)

        events = Listening(server.url, till).ended(seconds=10)

        assert events == ["ready", "end"]
        until(lambda: server.held == 0, "the ended stream's waiter is forgotten")


@pytest.mark.postgres
@pytest.mark.slow
def test_a_till_that_goes_away_is_forgotten(pg_url, shop_on_pg):
    owner = shop_on_pg.owner_headers
    with InProcessServer(pg_url) as server, httpx.Client(base_url=server.url) as http:
        till, _ = enrolled_till(http, owner)
        listening = Listening(server.url, till, heartbeat=1)
        listening.wait_for(["ready"])
        until(lambda: server.held == 1, "the till's stream is held")

        listening.close()  # read on: the next heartbeat ends the client's loop

        listening.ended()
        until(lambda: server.held == 0, "the server forgets the stream")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_server_on_sqlite_tells_the_stream_to_poll(db_url, backend):
    with InProcessServer(db_url) as server, httpx.Client(base_url=server.url) as http:
        till, _ = enrolled_till(http, make_shop(server.app.state.session_factory).owner_headers)

        assert Listening(server.url, till).ended() == ["ready", "poll"]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_stopping_server_tells_its_streams_to_poll_at_once(pg_url, shop_on_pg):
    server = ServerProcess(pg_url, workers=1)
    server.start()
    try:
        with httpx.Client(base_url=server.url) as http:
            till, _ = enrolled_till(http, shop_on_pg.owner_headers)
        listening = Listening(server.url, till)
        listening.wait_for(["ready"])
        assert server.proc is not None
        os.killpg(server.proc.pid, signal.SIGTERM)
        assert listening.ended() == ["ready", "poll"]
    finally:
        server.stop()


def test_a_stream_without_a_valid_token_is_refused_before_it_opens(client):
    response = client.get(STREAM, headers={"Authorization": "Bearer forged"})

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


@pytest.mark.postgres
def test_a_server_whose_address_says_no_prepared_statements_still_listens(pg_url):
    """Behind PgBouncer 1.18 the address carries ``?prepare_threshold=none`` (for the
    server's engine, sync_server/db.py); libpq refuses it, so the feed's own connection
    must leave it out, or the feed never comes up when LISTEN_DATABASE_URL is unset."""
    with InProcessServer(f"{pg_url}?prepare_threshold=none") as server:
        assert server.app.state.feed.live  # the server waits for it on start
