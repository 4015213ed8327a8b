"""The topology with PgBouncer (./bin/topology up --pgbouncer): the server instances'
DATABASE_URL goes through PgBouncer in transaction mode, their live feed's LISTEN
straight to the primary (HAProxy's PostgreSQL port). Hundreds of pushes and pulls work
through it (psycopg would prepare the statements it runs five times, which PgBouncer
1.18 cannot follow from one server connection to the next), within PgBouncer's pool,
and a change committed through one instance reaches a till's stream held by the other.

Runs where the topology's tools are installed and as root, like the other topology
tests (./bin/topology up installs PgBouncer when missing); about 1.5 min: the topology
on its own ports and folder, two instances of one worker."""

import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest

from bench.chaos import _seed
from bench.sim_till import SimTill
from tests.deploy.topology_support import NEEDS_TOPOLOGY, running_topology

Seeded = tuple[list[dict[str, Any]], list[str], list[str], list[str]]

PSQL = ("psql", "-X", "-A", "-F", ",", "-h", "127.0.0.1", "-U", "postgres")
POOL = 10  # PgBouncer's server connections for the database (default_pool_size)

pytestmark = [pytest.mark.slow, NEEDS_TOPOLOGY]


@pytest.fixture(scope="module")
def topology() -> Iterator[dict[str, str]]:
    with running_topology("pgbouncer", 29000, 2, "--pgbouncer", pgbouncer_pool=str(POOL)) as up:
        yield up.settings


@pytest.fixture(scope="module")
def seeded(topology: dict[str, str]) -> Seeded:
    """Eight paired tills: six push, one pulls, one holds a stream."""
    return _seed(topology["DATABASE_URL"], tills=8, shared=12)


def test_the_instances_reach_postgresql_through_pgbouncer_and_listen_directly(
    topology: dict[str, str],
) -> None:
    assert topology["PGBOUNCER_PORT"]
    assert f":{topology['PGBOUNCER_PORT']}/" in topology["SERVER_DATABASE_URL"]
    assert f":{topology['HA_PG_PORT']}/" in topology["LISTEN_DATABASE_URL"]


def test_hundreds_of_pushes_and_pulls_go_through_pgbouncer_within_its_pool(
    topology: dict[str, str], seeded: Seeded
) -> None:
    """One op a push: 300 pushes from six tills at once, and full pulls meanwhile.
    Planted: the instances' URL without ?prepare_threshold=none -> pushes answered 500
    (prepared statement "_pg3_…" does not exist / already exists)."""
    made, shared, emails, _ = seeded
    url = f"http://127.0.0.1:{topology['HA_HTTP_PORT']}"
    tills = [
        SimTill(f"b{i}", url, m["token"], m["node"], m["pin_id"], shared, emails, 50, i, batch=1)
        for i, m in enumerate(made[:6])
    ]
    transactions_before = _pgbouncer_transactions(topology)
    stop, pulls, backends = threading.Event(), list[int](), list[int]()
    workers = [threading.Thread(target=t.run, args=(stop,)) for t in tills]
    workers.append(threading.Thread(target=_pull_until, args=(url, made[6], stop, pulls)))
    workers.append(threading.Thread(target=_count_backends, args=(topology, stop, backends)))
    for worker in workers:
        worker.start()
    try:
        for worker in workers[: len(tills)]:
            worker.join(timeout=180)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)

    failed = {t.name: (t.retries, t.last_error) for t in tills if t.retries}
    assert failed == {}, f"pushes failed through PgBouncer: {failed}"
    assert all(len(t.outcomes) == len(t.generated) == 50 for t in tills)
    assert [code for code in pulls if code != 200] == []
    assert len(pulls) >= 20, "too few pulls to say anything"
    assert _pgbouncer_transactions(topology) - transactions_before >= 300 + len(pulls)
    assert backends
    assert max(backends) <= POOL  # the pooler's, beside the feed's own


def test_a_change_through_one_instance_reaches_a_stream_held_by_the_other(
    topology: dict[str, str], seeded: Seeded
) -> None:
    """The till's stream on instance 1, a stamp pushed through instance 2: the stream
    says "changed" (the notification crossed PostgreSQL on the feed's direct links).
    Planted: LISTEN_DATABASE_URL through PgBouncer -> only heartbeats (the LISTEN ran on
    a server connection PgBouncer then lent to others)."""
    first, second = (f"http://127.0.0.1:{p}" for p in topology["APP_PORTS"].split())
    made, shared, _, _ = seeded
    holder, pusher = made[7], made[0]
    with httpx.Client(base_url=first, headers=_bearer(holder), timeout=30) as till:
        cursor = _pull_all(till)
    stream = Stream(first, holder, cursor)
    try:
        stream.wait_for(["ready"])
        time.sleep(1)  # nothing new yet: no "changed" of its own
        assert stream.events == ["ready"]

        pushed = httpx.post(
            f"{second}/api/v1/sync/push", json=_stamp(pusher, shared[-1]), headers=_bearer(pusher)
        )
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["results"][0]["status"] == "applied", pushed.text

        stream.wait_for(["ready", "changed"])
    finally:
        stream.close()


class Stream:
    """A till's stream (server-sent events) read in a thread of its own: ``events``
    as they arrive, heartbeats left out."""

    def __init__(self, base_url: str, till: dict[str, Any], cursor: str) -> None:
        self.events: list[str] = []
        self.error: BaseException | None = None
        self._close = threading.Event()
        params: dict[str, str | int] = {"cursor": cursor, "heartbeat": 2}

        def listen() -> None:
            try:
                timeout = httpx.Timeout(10.0, read=30.0)
                with (
                    httpx.Client(base_url=base_url, timeout=timeout) as http,
                    http.stream(
                        "GET", "/api/v1/sync/stream", params=params, headers=_bearer(till)
                    ) as response,
                ):
                    response.raise_for_status()
                    for line in response.iter_lines():
                        if self._close.is_set():
                            return
                        if line.startswith("event: ") and line != "event: heartbeat":
                            self.events.append(line.removeprefix("event: "))
            except BaseException as exc:  # reported by wait_for
                self.error = exc

        self.thread = threading.Thread(target=listen, daemon=True)
        self.thread.start()

    def wait_for(self, events: list[str], seconds: float = 15.0) -> None:
        """Bounded; heartbeats every 2 s keep the loop reading, so close() ends it."""
        until = time.monotonic() + seconds
        while self.events[: len(events)] != events and self.error is None:
            assert time.monotonic() < until, f"waited for {events}, got {self.events}"
            time.sleep(0.1)
        assert self.error is None, self.error
        assert self.events == events, self.events

    def close(self) -> None:
        self._close.set()
        self.thread.join(timeout=10)


def _pull_all(till: httpx.Client) -> str:
    cursor, more = None, True
    while more:
        page = till.get("/api/v1/sync/pull", params={"cursor": cursor} if cursor else {})
        assert page.status_code == 200, page.text
        cursor, more = page.json()["cursor"], page.json()["has_more"]
    assert cursor is not None
    return str(cursor)


def _pull_until(url: str, till: dict[str, Any], stop: threading.Event, codes: list[int]) -> None:
    """Full pulls, page by page from no cursor, until ``stop`` (at most 2,000 pages)."""
    with httpx.Client(base_url=url, headers=_bearer(till), timeout=30) as http:
        cursor: str | None = None
        for _ in range(2000):
            if stop.is_set():
                return
            page = http.get("/api/v1/sync/pull", params={"cursor": cursor} if cursor else {})
            codes.append(page.status_code)
            more = page.status_code == 200 and page.json()["has_more"]
            cursor = page.json()["cursor"] if more else None


def _count_backends(topology: dict[str, str], stop: threading.Event, into: list[int]) -> None:
    """The primary's backends on ``loyalty`` other than the live feed's, every 0.2 s."""
    admin = f"host=127.0.0.1 port={topology['HA_PG_PORT']} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        while not stop.wait(0.2):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'loyalty' "
                "AND backend_type = 'client backend' AND application_name <> 'loyalty-feed'"
            ).fetchone()
            assert row is not None
            into.append(int(row[0]))


def _pgbouncer_transactions(topology: dict[str, str]) -> int:
    """Transactions PgBouncer passed to ``loyalty`` (its admin console speaks only the
    simple query protocol: psql's)."""
    shown = subprocess.run(
        [*PSQL, "-p", topology["PGBOUNCER_PORT"], "-d", "pgbouncer", "-c", "SHOW STATS"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.splitlines()
    names = shown[0].split(",")
    for line in shown[1:]:
        stats = dict(zip(names, line.split(","), strict=False))
        if stats["database"] == "loyalty":
            return int(stats["total_xact_count"])
    raise AssertionError(f"PgBouncer has no stats for loyalty: {shown}")


def _bearer(till: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {till['token']}"}


def _stamp(till: dict[str, Any], card_number: str) -> dict[str, Any]:
    """A push of one online stamp (an op that changes what every till sees)."""
    now = datetime.now(UTC).isoformat()
    op = {
        "op_id": str(uuid.uuid4()),
        "seq": 1000,
        "staff_pin_id": till["pin_id"],
        "client_time": now,
        "offline": False,
        "snapshot_age_s": None,
        "body": {"type": "stamp.add", "card_number": card_number},
    }
    return {"sent_at": now, "ops": [op], "pin_failures": []}
