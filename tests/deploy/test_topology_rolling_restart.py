"""A rolling restart of the server instances behind HAProxy while tills push: no till
request fails (./bin/topology rolling-restart drains each instance in HAProxy, lets its
requests in flight finish, stops it gracefully, starts it, and puts it back in rotation
before the next one goes).

Runs where the topology's tools are installed and as root (.ci/run installs them);
about 2.5 min: the topology on its own ports and folder, two instances."""

import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.chaos import _seed
from bench.sim_till import SimTill

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("patroni", "etcd", "haproxy", "curl", "jq")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        any(shutil.which(t) is None for t in TOOLS) or os.geteuid() != 0,
        reason="the topology needs Patroni, etcd, HAProxy (./bin/topology up installs them) "
        "and root",
    ),
]


def _topology(command: str, env: dict[str, str], timeout: float = 400) -> str:
    done = subprocess.run(
        [str(ROOT / "bin" / "topology"), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def topology() -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    folder = Path("/var/tmp") / f"loyalty-rolling-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "LOYALTY_TOPOLOGY_DIR": str(folder),
        "LOYALTY_TOPOLOGY_PORT_BASE": "27000",
        "LOYALTY_TOPOLOGY_INSTANCES": "2",
        "LOYALTY_TOPOLOGY_WORKERS": "1",
    }
    try:
        _topology("up", env)
        lines = (folder / "topology.env").read_text().splitlines()
        yield env, dict(line.split("=", 1) for line in lines)
    finally:
        subprocess.run(
            [str(ROOT / "bin" / "topology"), "down", "--purge"],
            env=env,
            capture_output=True,
            timeout=300,
        )


def test_restarting_every_instance_one_by_one_fails_no_till_request(topology):
    """Planted: restarting both instances at once: each till saw ~160 pushes refused
    (HAProxy's 503, no server available). Without the drain step, one by one, no
    push failed here either: the graceful shutdown finishes requests in flight and
    HAProxy resends a request whose connection was refused (retry-on conn-failure).
    The drain is for requests that last, the live feed's held waits, which a stop
    would cut."""
    env, ports = topology
    made, shared, emails = _seed(ports["DATABASE_URL"], tills=4, shared=12)
    url = f"http://127.0.0.1:{ports['HA_HTTP_PORT']}"
    tills = [
        SimTill(f"t{i}", url, m["token"], m["node"], m["pin_id"], shared, emails, 10**6, 40 + i)
        for i, m in enumerate(made)
    ]
    stop = threading.Event()
    threads = [threading.Thread(target=t.run, args=(stop,), daemon=True) for t in tills]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)  # pushes flowing through both instances
        said = _topology("rolling-restart", env, timeout=300)
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
