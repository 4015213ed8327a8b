"""The local topology (./bin/topology) as the failover run sees it: which node is the
primary (Patroni's REST API), how to kill its postmaster or a server instance with -9,
and whether the old primary came back as the synchronous standby."""

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = ROOT / "bin" / "topology"
NODES = ("pg1", "pg2")


class TopologyError(RuntimeError):
    """The topology did not do what was asked in time; the message says what."""


@dataclass(frozen=True)
class Cluster:
    folder: Path
    env: dict[str, str]

    @classmethod
    def up(cls, timeout: float = 420) -> "Cluster":
        """Start the topology, or check a running one (``up`` is idempotent: it starts
        only what is not running, then waits for all of it to be ready)."""
        _topology("up", timeout)
        folder = _folder()
        lines = (folder / "topology.env").read_text().splitlines()
        env = dict(line.split("=", 1) for line in lines if "=" in line)
        return cls(folder, env)

    @staticmethod
    def is_running() -> bool:
        return _running_pid(_folder() / "run" / "etcd1.pid") is not None

    @staticmethod
    def down(timeout: float = 240) -> None:
        _topology("down", timeout)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HA_HTTP_PORT']}"

    @property
    def database_url(self) -> str:
        """Through HAProxy: always the current primary."""
        return self.env["DATABASE_URL"]

    def admin_url(self, node: str | None = None) -> str:
        port = self.env["HA_PG_PORT"] if node is None else self.pg_port(node)
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def direct_url(self, node: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port(node)}/loyalty"

    def pg_port(self, node: str) -> str:
        return self.env[f"PG{node[-1]}_PORT"]

    def _rest(self, node: str, path: str) -> int:
        try:
            port = self.env[f"REST{node[-1]}_PORT"]
            return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code
        except httpx.HTTPError:
            return 0

    def primary(self) -> str | None:
        found = [n for n in NODES if self._rest(n, "/primary") == 200]
        return found[0] if len(found) == 1 else None

    def wait_primary(self, other_than: str | None, timeout: float) -> str:
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            node = self.primary()
            if node is not None and node != other_than:
                return node
            time.sleep(0.2)
        raise TopologyError(f"no new primary (other than {other_than}) within {timeout:g} s")

    def kill_postmaster(self, node: str) -> int:
        """kill -9 the node's postmaster (its children die with it); Patroni stays."""
        pid = int((self.folder / node / "data" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_server(self, instance: int) -> None:
        """kill -9 every process of one server instance (supervisor and workers)."""
        pid = _running_pid(self.folder / "run" / f"server{instance}.pid")
        if pid is None:
            raise TopologyError(f"server{instance} is not running")
        os.killpg(pid, signal.SIGKILL)
        containers = self.env.get("SERVER_CONTAINERS", "").split()  # up --containers
        if containers:  # the killed docker client was only its link to the container
            docker = shutil.which("docker") or "/usr/bin/docker"
            subprocess.run([docker, "kill", containers[instance - 1]], check=True, timeout=30)

    def sync_standby(self, primary: str) -> str | None:
        """The node streaming synchronously from the primary, if any."""
        try:
            with psycopg.connect(self.admin_url(primary), connect_timeout=2) as conn:
                row = conn.execute(
                    "SELECT application_name FROM pg_stat_replication"
                    " WHERE sync_state = 'sync' AND state = 'streaming'"
                ).fetchone()
        except psycopg.Error:
            return None
        return None if row is None else str(row[0])

    def in_sync(self, node: str) -> bool:
        """``node`` streams synchronously from the primary, and Patroni knows it (the
        sync key in etcd names it): only then may Patroni promote it."""
        primary = self.primary()
        if primary is None or self.sync_standby(primary) != node:
            return False
        try:
            port = self.env[f"REST{primary[-1]}_PORT"]
            members = httpx.get(f"http://127.0.0.1:{port}/cluster", timeout=2).json()["members"]
        except (httpx.HTTPError, ValueError, KeyError):
            return False
        return any(
            m["name"] == node and m["role"] == "sync_standby" and m.get("lag") == 0 for m in members
        )

    def wait_rejoined(self, node: str, timeout: float, steady: float = 3.0) -> float:
        """Seconds until ``node`` is the primary's synchronous standby, then waits until
        it has stayed so for ``steady`` seconds (Patroni's view settles over a loop)."""
        started = time.monotonic()
        joined: float | None = None
        while time.monotonic() - started < timeout:
            if not self.in_sync(node):
                joined = None
            elif joined is None:
                joined = time.monotonic() - started
            elif time.monotonic() - started - joined >= steady:
                return joined
            time.sleep(0.25)
        raise TopologyError(f"{node} did not rejoin as the synchronous standby in {timeout:g} s")

    def verify_ledger(self, node: str) -> tuple[bool, str]:
        """``loyalty-server verify-ledger`` against one node directly."""
        done = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "loyalty-server"), "verify-ledger"],
            env={**os.environ, "DATABASE_URL": self.direct_url(node)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        return done.returncode == 0, (done.stdout + done.stderr).strip()


def _folder() -> Path:
    default = "/var/tmp/loyalty-topology"  # noqa: S108 (bin/topology's own default, root's)
    return Path(os.environ.get("LOYALTY_TOPOLOGY_DIR", default))


def _running_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _topology(command: str, timeout: float) -> None:
    done = subprocess.run([str(TOPOLOGY), command], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise TopologyError(f"bin/topology {command} failed:\n{done.stdout}\n{done.stderr}")
