"""Push throughput through HAProxy with 1, 2, 3 server instances: each instance is a
``loyalty-server serve`` process (its own uvicorn, ``--workers`` each, default 1) on a
loopback port, behind a HAProxy of this benchmark's own (config in a temporary folder,
round robin, health checks on ``/health/ready``, one thread). 8 tills push the fast path
(online ``stamp.add`` / ``points.earn``, 100 ops a batch) on one private copy of the
store set; ``pgbench -N`` with as many clients runs in the same part for the ratio.

Each count reports ops/s, the ratio to pgbench, and the CPU per op of the instances'
process trees, HAProxy, the database's backends and the tills (this process), so on a
machine with few cores the figure says where the cores went, not only how many ops.

``python -m bench.push_scaling [--instances 1,2,3] [--seconds 20]``; the last line is JSON.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import push_mix, store_set
from bench.chaos import drop_database
from bench.deadline import PART_LIMIT_S, deadline, doing
from bench.proc_cpu import tree
from bench.push_load import Runs, pgbench_now
from bench.server_process import ROOT, ServerProcess, free_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CONFIG = """\
global
    nbthread 1
    maxconn 2000
    stats socket {folder}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    option http-keep-alive
frontend push
    bind 127.0.0.1:{port}
    default_backend servers
backend servers
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
    default-server inter 500ms fall 2 rise 1
{servers}
"""


class Instance(ServerProcess):
    """One ``loyalty-server serve`` (the production command, not uvicorn directly) on a
    loopback port, in its own process group, its output in ``log``."""

    def __init__(self, database_url: str, workers: int, log: Path) -> None:
        super().__init__(database_url, workers)
        self.log = log

    def start(self, timeout: float = 60) -> None:
        serve = [str(Path(sys.executable).parent / "loyalty-server"), "serve"]
        args = ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*serve, *args],
                cwd=ROOT,
                env={**os.environ, "DATABASE_URL": self.database_url},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def _wait_ready(url: str, timeout: float = 60) -> None:
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} never became ready")


def _servers_up(sock: Path) -> int:
    """How many of the backend's servers HAProxy's health checks mark UP."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(5)
        conn.connect(str(sock))
        conn.sendall(b"show stat\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    rows = [line.split(",") for line in data.decode().splitlines() if line.startswith("servers,")]
    return sum(1 for r in rows if r[1] not in ("BACKEND", "FRONTEND") and r[17] == "UP")


@contextmanager
def balanced(database_url: str, count: int, workers: int) -> Iterator[tuple[str, list[int]]]:
    """``count`` instances behind a HAProxy: (its URL, [haproxy pid, instance pids…])."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="push_scaling_")))
        instances = [Instance(database_url, workers, folder / f"i{i}.log") for i in range(count)]
        for one in instances:
            stack.callback(one.stop)
            one.start()
        for one in instances:
            _wait_ready(one.url)
        port = free_port()
        servers = "\n".join(
            f"    server s{i} 127.0.0.1:{one.port} check" for i, one in enumerate(instances)
        )
        config = folder / "haproxy.cfg"
        config.write_text(CONFIG.format(folder=folder, port=port, servers=servers))
        proxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(folder / "haproxy.log").open("ab"),
        )
        stack.callback(_stop, proxy)
        limit = time.monotonic() + 30
        while time.monotonic() < limit:
            if (folder / "admin.sock").exists() and _servers_up(folder / "admin.sock") == count:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"HAProxy never saw {count} servers up")
        pids = [proxy.pid, *(one.proc.pid for one in instances if one.proc is not None)]
        yield f"http://127.0.0.1:{port}", pids


def _trees(pids: list[int]) -> list[int]:
    return [p for one in pids for p in tree(one)]


def _stop(proc: "subprocess.Popen[bytes]") -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(
    counts: Sequence[int] = (1, 2, 3),
    cards: int = 100_000,
    entries: int = 1_000_000,
    seconds: float = 20.0,
    tills: int = 8,
    batch: int = 100,
    workers: int = 1,
) -> dict[str, Any]:
    doing("seeding the store set")
    made = store_set.private_copy(cards, entries, tills=max(tills, store_set.TILLS))
    made.seeded.tills = made.seeded.tills[:tills]
    pools = push_mix.Pools(list(made.stamp_rewards_due), list(made.points_rewards_due))
    active = [c for c in made.seeded.cards if c not in made.inactive]
    figures: dict[str, Any] = {}
    count_done = 0
    try:
        for count in counts:
            doing(f"starting {count} instances behind HAProxy")
            with balanced(made.seeded.url, count, workers) as (url, pids):
                proxy, instances = pids[0], pids[1:]
                runs = Runs(
                    url,
                    made,
                    seconds,
                    pools,
                    active,
                    {"server": partial(_trees, instances), "proxy": partial(list, [proxy])},
                    count=count_done,
                )
                runs.fast(f"push_scaling_{count}_ops_per_s", batch, active)
                count_done = runs.count
                figures.update(runs.figures)
        figures.update(pgbench_now(seconds, tills))
    finally:
        drop_database(made.seeded.db_name)
    tps = figures.pop("push_pgbench_simple_tps")
    figures["push_scaling_pgbench_simple_tps"] = tps
    figures["push_scaling_pgbench_client_cpu_ms_per_tx"] = figures.pop(
        "push_pgbench_client_cpu_ms_per_tx"
    )
    for count in counts:
        key = f"push_scaling_{count}_ops_per_s"
        figures[f"push_scaling_{count}_vs_pgbench"] = round(figures[key] / tps, 3)
    figures.update(
        {
            "push_scaling_workers_per_instance": workers,
            "push_scaling_tills": tills,
            "push_scaling_batch": batch,
            "push_scaling_seconds": seconds,
            "push_scaling_cards": cards,
        }
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", default="1,2,3")
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per instance")
    args = parser.parse_args()
    counts = [int(n) for n in args.instances.split(",")]
    with deadline(PART_LIMIT_S.get("push_scaling", 1500), "push_scaling"):
        figures = run(counts, args.cards, args.entries, args.seconds, workers=args.workers)
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
