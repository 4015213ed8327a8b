"""The server instances of the topology together: a rolling restart behind HAProxy
while tills push fails no till request (./bin/topology rolling-restart drains each
instance in HAProxy, lets its requests in flight finish, stops it gracefully, starts
it, and puts it back in rotation before the next one goes); and the live feed works
across instances: a change committed through one wakes a till held by the other
(LISTEN/NOTIFY through HAProxy's PostgreSQL port to the primary).

Runs where the topology's tools are installed and as root (.ci/run installs them);
about 2.5 min: the topology on its own ports and folder, two instances."""

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bench.chaos import _seed
from bench.sim_till import SimTill
from tests.deploy.topology_support import NEEDS_TOPOLOGY, run_topology, running_topology

pytestmark = [pytest.mark.slow, NEEDS_TOPOLOGY]


@pytest.fixture(scope="module")
def topology() -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    with running_topology("rolling", 27000, 2) as running:
        yield running.env, running.settings


@pytest.fixture(scope="module")
def seeded(topology):
    """A merchant with shared cards and six paired tills: four for the restart, two
    for the feed, which also has the last card to itself."""
    _, ports = topology
    return _seed(ports["DATABASE_URL"], tills=6, shared=12)


def test_restarting_every_instance_one_by_one_fails_no_till_request(topology, seeded):
    """Planted: restarting both instances at once: each till saw ~160 pushes refused
    (HAProxy's 503, no server available). Without the drain step, one by one, no
    push failed here either: the graceful shutdown finishes requests in flight and
    HAProxy resends a request whose connection was refused (retry-on conn-failure).
    The drain is what keeps new requests away from a stopping instance whatever the
    balancer's retry rules (a stopping server answers its held feed requests at once:
    tests/sync/test_live_feed.py)."""
    env, ports = topology
    made, shared, emails, _ = seeded
    url = f"http://127.0.0.1:{ports['HA_HTTP_PORT']}"
    tills = [
        SimTill(
            f"t{i}", url, m["token"], m["node"], m["pin_id"], shared[:-1], emails, 10**6, 40 + i
        )
        for i, m in enumerate(made[:4])
    ]
    stop = threading.Event()
    threads = [threading.Thread(target=t.run, args=(stop,), daemon=True) for t in tills]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)  # pushes flowing through both instances
        said = run_topology(env, "rolling-restart", timeout=300)
        for till in tills:  # no new op: push what is queued, then stop
            till.target = len(till.generated)
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stop.set()

    assert said.count("restarted and in rotation") == 2, said
    pushed = sum(len(t.outcomes) for t in tills)
    assert pushed > 50, "too little load to say anything"
    failed = {t.name: (t.retries, t.last_error) for t in tills if t.retries}
    assert failed == {}, f"till requests failed during the rolling restart: {failed}"
    assert all(not t.outbox for t in tills)
    assert all(len(t.outcomes) == len(t.generated) for t in tills)


def test_a_change_through_one_instance_wakes_a_till_held_by_the_other(topology, seeded):
    """A till's held wait on instance 1 (for up to 60 s), a stamp pushed through
    instance 2: the wait answers "changed" long before its end (at its end it would
    find the change by itself, so the test waits 15 s only); again after the feed's
    links sat idle for 65 s. Planted: publish sending no NOTIFY
    -> a heartbeat. Found here: HAProxy's 60 s idle timeout cut the sending link, and
    the notification after an idle minute came only with the heartbeat."""
    _, ports = topology
    first, second = (f"http://127.0.0.1:{p}" for p in ports["APP_PORTS"].split())
    made, shared, _, _ = seeded
    held_by, other = made[4:6]

    woke_at_once = _held_wait_answer(first, second, held_by, other, shared[-1], seq=1)
    time.sleep(65)  # past HAProxy's 60 s default timeout for idle connections
    woke_after_idle = _held_wait_answer(first, second, held_by, other, shared[-1], seq=2)

    assert woke_at_once == {"changed": True, "poll": False}
    assert woke_after_idle == {"changed": True, "poll": False}


def _held_wait_answer(
    holder: str, pusher: str, held_by: dict[str, Any], other: dict[str, Any], card: str, seq: int
) -> dict[str, Any]:
    """What a wait held at ``holder`` answers when ``other`` stamps ``card`` through
    ``pusher`` while it is held (closing the client ends a wait left unanswered)."""
    with httpx.Client(base_url=holder, headers=_bearer(held_by), timeout=60) as till:
        cursor, more = None, True
        while more:  # the whole snapshot: the cursor is then up to date
            page = till.get("/api/v1/sync/pull", params={"cursor": cursor} if cursor else {})
            assert page.status_code == 200, page.text
            cursor, more = page.json()["cursor"], page.json()["has_more"]
        answer: list[httpx.Response] = []
        waiting = threading.Thread(
            target=lambda: answer.append(
                till.get("/api/v1/sync/wait", params={"cursor": cursor, "timeout": 60})
            ),
            daemon=True,
        )
        waiting.start()
        time.sleep(1)  # the wait is held (nothing new yet)
        assert answer == []
        pushed = httpx.post(
            f"{pusher}/api/v1/sync/push", json=_stamp(other, card, seq), headers=_bearer(other)
        )
        waiting.join(timeout=15)
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["results"][0]["status"] == "applied", pushed.text
        assert answer, "the notification did not wake the held wait"
    assert answer[0].status_code == 200, answer[0].text
    return dict(answer[0].json())


def _bearer(till: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {till['token']}"}


def _stamp(till: dict[str, Any], card_number: str, seq: int) -> dict[str, Any]:
    """A push of one online stamp (an op that changes what every till sees)."""
    now = datetime.now(UTC).isoformat()
    op = {
        "op_id": str(uuid.uuid4()),
        "seq": seq,
        "staff_pin_id": till["pin_id"],
        "client_time": now,
        "offline": False,
        "snapshot_age_s": None,
        "body": {"type": "stamp.add", "card_number": card_number},
    }
    return {"sent_at": now, "ops": [op], "pin_failures": []}
