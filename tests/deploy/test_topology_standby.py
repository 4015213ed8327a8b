"""The replicated topology for real (./bin/topology, Patroni + etcd + HAProxy): an
instance whose database is the hot standby is not ready, the one reaching the primary
through HAProxy is, and ``down`` leaves nothing running.

Runs where the topology's tools are installed and as root (PostgreSQL runs as the
postgres user through runuser): .ci/run installs Patroni, etcd and HAProxy, as
./bin/topology up does on any machine; elsewhere it skips with the reason.
About 1.5 min: the topology starts with one server instance on its own ports and
folder, beside any topology already running."""

from collections.abc import Iterator

import httpx
import pytest

from sync_server.db import make_engine
from sync_server.observability import readiness
from tests.deploy.topology_support import NEEDS_TOPOLOGY, Topology, run_topology, running_topology

pytestmark = [pytest.mark.slow, NEEDS_TOPOLOGY]


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    with running_topology("standby", 26000, 1) as running:
        yield running


def _standby_port(topology: Topology) -> str:
    ports = topology.settings
    for node in ("1", "2"):
        answer = httpx.get(f"http://127.0.0.1:{ports[f'REST{node}_PORT']}/replica", timeout=5)
        if answer.status_code == 200:
            return ports[f"PG{node}_PORT"]
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
    balancer = topology.settings["HA_HTTP_PORT"]
    ready = httpx.get(f"http://127.0.0.1:{balancer}/health/ready", timeout=10)

    assert ready.status_code == 200
    status = run_topology(topology.env, "status")
    assert "sync_state=sync" in status
