"""The server image, run for real: it migrates, serves, and stops gracefully.

``python -m bench.server_image``: builds the image when missing
(packaging/server/build-image.sh: Debian base by debootstrap, BuildKit, host network),
makes a fresh PostgreSQL database on 127.0.0.1:5432, migrates it with
``docker run --rm … loyalty-server migrate``, seeds a store and a paired till, runs the
image (host network, loopback only), waits for /health/ready, pushes batches of stamps
and points over HTTP as a till does, then ``docker stop -t 40`` while pushes are in
flight. It checks that the container exits 0, that every push in flight at the SIGTERM
was answered 200, and that the ledger holds exactly the ops answered. Prints one JSON
line; the container, the database and a dockerd it started are gone at the end.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench import seeding
from bench.chaos import PG_ADMIN, drop_database
from bench.deadline import deadline, doing
from bench.seeding import libpq
from bench.server_process import free_port

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "packaging" / "server" / "build-image.sh"
LIMIT_S = 1800  # a fresh machine: debootstrap and both image steps fit well inside
PUSHERS = 4
BATCH = 500  # the most a push takes (sync_server/sync/messages.py): long enough to catch


@dataclass
class Till:
    token: str
    pin_id: int
    cards: list[str]


@dataclass
class Pushes:
    """Pushes sent until the stop, each as (sent, answered, HTTP status or error)."""

    till: Till
    url: str
    stopping: threading.Event
    done: list[tuple[float, float, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 0

    def batch(self) -> list[dict[str, Any]]:
        ops = []
        for i in range(BATCH):
            with self.lock:
                self.seq += 1
                seq = self.seq
            ops.append(
                {
                    "op_id": str(uuid.uuid4()),
                    "seq": seq,
                    "staff_pin_id": self.till.pin_id,
                    "client_time": datetime.now(UTC).isoformat(),
                    "offline": False,
                    "snapshot_age_s": None,
                    "body": {"type": "stamp.add", "card_number": self.till.cards[i % 50]}
                    if i % 2
                    else {
                        "type": "points.earn",
                        "card_number": self.till.cards[i % 50],
                        "purchase_amount_cents": 100 + i,
                    },
                }
            )
        return ops

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.till.token}"}
        with httpx.Client(base_url=self.url, timeout=60, headers=headers) as client:
            while not self.stopping.is_set():
                body = {"sent_at": datetime.now(UTC).isoformat(), "ops": self.batch()}
                sent = time.monotonic()
                try:
                    response = client.post("/api/v1/sync/push", json=body)
                except httpx.HTTPError as exc:
                    outcome, answered = type(exc).__name__, 0
                else:
                    outcome = str(response.status_code)
                    answered = len(response.json()["results"]) if outcome == "200" else 0
                with self.lock:
                    self.done.append((sent, time.monotonic(), outcome, answered))


def _docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    docker = shutil.which("docker") or "/usr/bin/docker"  # build-image.sh installs it
    return subprocess.run(
        [docker, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _build(pidfile: Path) -> tuple[str, float]:
    env = {**os.environ, "LOYALTY_DOCKERD_PIDFILE": str(pidfile)}
    began = time.monotonic()
    done = subprocess.run(
        [str(BUILD), "--if-missing"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        timeout=LIMIT_S,
    )
    return done.stdout.strip().splitlines()[-1], time.monotonic() - began  # the tag built


def _seed(url: str) -> Till:
    seeded = seeding.fill(url.rsplit("/", 1)[1], url, cards=50, tills=1)
    return Till(seeded.tills[0][0], seeded.pin_ids[0], seeded.cards)


def _wait_ready(url: str, container: str, seconds: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return time.monotonic() - began
        except httpx.HTTPError:
            pass
        if _docker("inspect", "-f", "{{.State.Running}}", container).stdout.strip() != "true":
            raise RuntimeError(f"container exited:\n{_docker('logs', container).stderr[-2000:]}")
        time.sleep(0.25)
    raise RuntimeError(f"not ready after {seconds:g} s")


def _stop_during_pushes(url: str, till: Till, container: str) -> dict[str, Any]:
    """Pushes from PUSHERS threads, then `docker stop -t 40` while they are in flight."""
    stopping = threading.Event()
    pushes = Pushes(till, url, stopping)
    threads = [threading.Thread(target=pushes.run, daemon=True) for _ in range(PUSHERS)]
    for thread in threads:
        thread.start()
    time.sleep(3)  # several rounds of batches answered before the stop
    stopping.set()  # no push starts after the SIGTERM: those in flight must finish
    stopped_at = time.monotonic()
    stop = _docker("stop", "-t", "40", container, timeout=60)
    stop_s = time.monotonic() - stopped_at
    for thread in threads:
        thread.join(timeout=60)
    exit_code = int(_docker("inspect", "-f", "{{.State.ExitCode}}", container).stdout.strip())
    in_flight = [d for d in pushes.done if d[0] < stopped_at < d[1]]
    return {
        "stop_ok": stop.returncode == 0,
        "stop_s": round(stop_s, 2),
        "exit_code": exit_code,
        "pushes": len(pushes.done),
        "pushes_ok": sum(1 for d in pushes.done if d[2] == "200"),
        "in_flight_at_stop": len(in_flight),
        "in_flight_answered": sum(1 for d in in_flight if d[2] == "200"),
        "ops_answered": sum(d[3] for d in pushes.done),
        "failed": sorted({d[2] for d in pushes.done if d[2] != "200"}),
    }


def _ledger_ops(url: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute("SELECT count(*) FROM sync_ops").fetchone()
    return int(row[0]) if row else -1


def run(scratch: Path) -> dict[str, Any]:
    pidfile = scratch / "dockerd.pid"
    name = f"loyalty_image_{uuid.uuid4().hex[:8]}"
    container = f"loyalty-image-bench-{uuid.uuid4().hex[:8]}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        doing("building the image if missing (packaging/server/build-image.sh)")
        tag, build_s = _build(pidfile)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        doing("migrating with docker run --rm … loyalty-server migrate")
        began = time.monotonic()
        migrate = _docker(
            "run", "--rm", "--network", "host", "-e", f"DATABASE_URL={url}", tag,
            "loyalty-server", "migrate", timeout=300,
        )  # fmt: skip
        migrate_s = time.monotonic() - began
        if migrate.returncode != 0:
            raise RuntimeError(f"migrate failed: {migrate.stderr[-2000:]}")
        till = _seed(url)
        port = free_port()
        doing("starting the container and waiting for /health/ready")
        started = _docker(
            "run", "-d", "--name", container, "--network", "host",
            "-e", f"DATABASE_URL={url}", "-e", "LOYALTY_HOST=127.0.0.1",
            "-e", f"LOYALTY_PORT={port}", "-e", "LOYALTY_WORKERS=2", tag,
        )  # fmt: skip
        if started.returncode != 0:
            raise RuntimeError(f"docker run failed: {started.stderr}")
        base = f"http://127.0.0.1:{port}"
        ready_s = _wait_ready(base, container, 90)
        doing("pushing, then docker stop -t 40 with pushes in flight")
        stopped = _stop_during_pushes(base, till, container)
        ledger = _ledger_ops(url)
        image_mb = int(_docker("image", "inspect", "-f", "{{.Size}}", tag).stdout) / 1e6
        ok = (
            stopped["stop_ok"]
            and stopped["exit_code"] == 0
            and stopped["in_flight_at_stop"] >= 1
            and stopped["in_flight_answered"] == stopped["in_flight_at_stop"]
            and ledger == stopped["ops_answered"]
        )
        return {
            "part": "server_image",
            "ok": ok,
            "image": tag,
            "image_mb": round(image_mb),
            "build_if_missing_s": round(build_s, 1),
            "migrate_s": round(migrate_s, 1),
            "ready_s": round(ready_s, 2),
            **stopped,
            "ledger_ops": ledger,
            "load": os.getloadavg()[0],
        }
    finally:
        _docker("rm", "-f", container)
        drop_database(name)
        _stop_dockerd(pidfile)


def _stop_dockerd(pidfile: Path) -> None:
    """The dockerd build-image.sh started for this run, if it did."""
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text())
    pidfile.unlink()
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    until = time.monotonic() + 30
    while time.monotonic() < until:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, 9)


def main() -> None:
    with deadline(LIMIT_S, "server_image"), tempfile.TemporaryDirectory() as scratch:
        result = run(Path(scratch))
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
