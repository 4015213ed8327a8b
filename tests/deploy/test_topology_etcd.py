"""The topology's etcd is three members: losing one (the etcd leader, kill -9) leaves
Patroni's leader lock where it was, so PostgreSQL does not fail over and writes go on
through HAProxy; ``up`` brings the member back and ``down`` stops all three.

Runs where the topology's tools are installed and as root, like test_topology_standby.py
(about 1.5 min: one server instance, its own ports and folder)."""

import json
import os
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.deploy.topology_support import (
    NEEDS_TOPOLOGY,
    Topology,
    run_topology,
    running_topology,
)

MEMBERS = ("etcd1", "etcd2", "etcd3")

pytestmark = [pytest.mark.slow, NEEDS_TOPOLOGY]


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    with running_topology("etcd", 28000, 1) as running:
        yield running


def _etcd_ports(settings: dict[str, str]) -> list[str]:
    return [host.rpartition(":")[2] for host in settings["ETCD_HOSTS"].split(",")]


def _etcd_leader(ports: list[str]) -> int:
    """The index of the member that leads the etcd cluster."""
    for index, port in enumerate(ports):
        done = subprocess.run(
            ["etcdctl", f"--endpoints=127.0.0.1:{port}", "endpoint", "status", "-w", "json"],
            env={**os.environ, "ETCDCTL_API": "3"},
            capture_output=True,
            text=True,
            timeout=10,
        )
        if done.returncode == 0:
            status = json.loads(done.stdout)[0]["Status"]
            if status["header"]["member_id"] == status["leader"]:
                return index
    raise AssertionError("no etcd leader")


def _patroni(settings: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Each node's role and timeline, from its Patroni REST API."""
    found: dict[str, tuple[str, int]] = {}
    for node in ("1", "2"):
        state = httpx.get(f"http://127.0.0.1:{settings[f'REST{node}_PORT']}/patroni", timeout=5)
        found[f"pg{node}"] = (state.json()["role"], state.json().get("timeline", 0))
    return found


def _write_through_haproxy(settings: dict[str, str], value: str) -> str:
    sql = (
        "CREATE TABLE IF NOT EXISTS etcd_check (v text);"
        f"INSERT INTO etcd_check VALUES ('{value}');"
        "SELECT count(*) FROM etcd_check"
    )
    done = subprocess.run(
        [
            *("psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-p", settings["HA_PG_PORT"]),
            *("-U", "postgres", "-d", "postgres", "-c", sql),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_patroni_is_given_all_three_members(topology: Topology) -> None:
    folder, settings = topology.folder, topology.settings
    ports = _etcd_ports(settings)
    assert len(set(ports)) == 3
    for node in ("pg1", "pg2"):
        config = (folder / node / "patroni.yml").read_text()
        assert f"hosts: {settings['ETCD_HOSTS']}" in config


def test_killing_the_etcd_leader_leaves_the_patroni_leader_in_place(topology: Topology) -> None:
    folder, env, settings = topology.folder, topology.env, topology.settings
    ports = _etcd_ports(settings)
    before = _patroni(settings)
    assert sorted(role for role, _ in before.values()) == ["master", "replica"]
    victim = MEMBERS[_etcd_leader(ports)]
    os.kill(int((folder / "run" / f"{victim}.pid").read_text()), 9)

    time.sleep(25)  # two and a half of Patroni's ttl (10 s): a lost lock would show
    assert _patroni(settings) == before
    assert _write_through_haproxy(settings, "after the kill") == "1"
    status = run_topology(env, "status")
    assert f"etcd {victim} 127.0.0.1:{ports[MEMBERS.index(victim)]}  health=down" in status
    assert status.count("health=true") == 2

    run_topology(env, "up")  # starts the member again: it rejoins the cluster
    assert run_topology(env, "status").count("health=true") == 3
    assert _write_through_haproxy(settings, "member back") == "2"
    assert _patroni(settings) == before
