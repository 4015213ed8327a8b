"""The replicated topology for real (./bin/topology, Patroni + etcd + HAProxy): an
instance whose database is the hot standby is not ready, the one reaching the primary
through HAProxy is, and ``down`` leaves nothing running.

Runs where the topology's tools are installed and as root (PostgreSQL runs as the
postgres user through runuser): .ci/run installs Patroni, etcd and HAProxy, as
./bin/topology up does on any machine; elsewhere it skips with the reason.
About 1.5 min: the topology starts with one server instance on its own ports and
folder, beside any topology already running."""

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync_server.db import make_engine
from sync_server.observability import readiness

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


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LOYALTY_TOPOLOGY_DIR": str(folder),
        "LOYALTY_TOPOLOGY_PORT_BASE": "26000",
        "LOYALTY_TOPOLOGY_INSTANCES": "1",
        "LOYALTY_TOPOLOGY_WORKERS": "1",
    }


def _topology(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "bin" / "topology"), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )


@pytest.fixture(scope="module")
def topology() -> Iterator[dict[str, str]]:
    # Not under pytest's tmp_path: the postgres user must reach its data directory.
    folder = Path("/var/tmp") / f"loyalty-topology-test-{uuid.uuid4().hex[:8]}"
    env = _env(folder)
    try:
        up = _topology("up", env)
        assert up.returncode == 0, up.stdout + up.stderr
        lines = (folder / "topology.env").read_text().splitlines()
        yield dict(line.split("=", 1) for line in lines)
    finally:
        down = subprocess.run(
            [str(ROOT / "bin" / "topology"), "down", "--purge"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert down.returncode == 0, down.stdout + down.stderr


def _standby_port(topology: dict[str, str]) -> str:
    for node in ("1", "2"):
        answer = httpx.get(f"http://127.0.0.1:{topology[f'REST{node}_PORT']}/replica", timeout=5)
        if answer.status_code == 200:
            return topology[f"PG{node}_PORT"]
    raise AssertionError("no node is a replica")


def test_an_instance_on_the_standby_is_not_ready(topology):
    engine = make_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{_standby_port(topology)}/loyalty"
    )
    try:
        state = readiness.check(engine)
    finally:
        engine.dispose()

    assert state.code == "DATABASE_READ_ONLY"
    assert state.detail == {"in_recovery": True, "transaction_read_only": True}


def test_the_instances_behind_haproxy_reach_the_primary_and_are_ready(topology):
    ready = httpx.get(f"http://127.0.0.1:{topology['HA_HTTP_PORT']}/health/ready", timeout=10)

    assert ready.status_code == 200
    status = _topology("status", _env(Path(topology["DIR"]))).stdout
    assert "sync_state=sync" in status
