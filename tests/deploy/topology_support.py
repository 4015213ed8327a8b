"""What the tests of ./bin/topology share: the skip when its tools or root are missing,
running one of its commands, and a topology of their own brought up and torn down."""

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("patroni", "etcd", "etcdctl", "haproxy", "curl", "jq", "psql")

# Without its tools or root the topology cannot start here (a developer's laptop): the
# tests skip. Under CI=true they must run, as the PostgreSQL tests must: .ci/run
# installs the packages and runs as root, so a missing tool there is a failure.
NEEDS_TOPOLOGY = pytest.mark.skipif(
    (any(shutil.which(t) is None for t in TOOLS) or os.geteuid() != 0) and not IN_CI,
    reason="the topology needs Patroni, etcd, HAProxy (./bin/topology up installs them) and root",
)


@dataclass(frozen=True)
class Topology:
    folder: Path
    env: dict[str, str]
    settings: dict[str, str]  # its topology.env: ports, DATABASE_URL, …


def run_topology(env: dict[str, str], *args: str, timeout: float = 400) -> str:
    """A ./bin/topology command that must succeed; what it printed."""
    done = subprocess.run(
        [str(ROOT / "bin" / "topology"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@contextmanager
def running_topology(
    name: str, port_base: int, instances: int, *up: str, **settings: str
) -> Iterator[Topology]:
    """A topology of its own (under /var/tmp, which the postgres user can reach; each
    test module its own ports), down and purged afterwards whatever happened."""
    folder = Path("/var/tmp") / f"loyalty-{name}-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "LOYALTY_TOPOLOGY_DIR": str(folder),
        "LOYALTY_TOPOLOGY_PORT_BASE": str(port_base),
        "LOYALTY_TOPOLOGY_INSTANCES": str(instances),
        "LOYALTY_TOPOLOGY_WORKERS": "1",
        **{f"LOYALTY_TOPOLOGY_{key.upper()}": value for key, value in settings.items()},
    }
    try:
        run_topology(env, "up", *up)
        lines = (folder / "topology.env").read_text().splitlines()
        yield Topology(folder, env, dict(line.split("=", 1) for line in lines))
    finally:
        run_topology(env, "down", "--purge", timeout=300)
