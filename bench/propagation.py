"""``python -m bench.propagation``: how long a stamp confirmed at one till takes to show
in the local state of the other tills of its store, through the real server.

8 real tills (the desktop engine's SyncClient, each with its SQLite store and its sync
thread) across 2 stores, paired to the real server (2 uvicorn workers, PostgreSQL).
Each till stamps its own card at a steady rate; the clock starts when the op is
confirmed at the till (written to its outbox) and stops when a till of the same store
has it in its local state (seen from that till's state callback, after its pull page
landed). Run with the live feed, and with the feed off (a server that answers "poll":
the tills' 5 s polling of before) for comparison.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.chaos import PG_ADMIN, drop_database, fresh_database
from bench.seeding import PROGRAM
from bench.server_process import ServerProcess, free_port
from common.operations import AddStamp
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient, SyncState
from desktop.engine.till import Confirmed, Till
from desktop.engine.tokens import MemoryTokens
from sync_server.auth import accounts
from sync_server.db import make_engine, make_session_factory
from sync_server.models import StaffPin
from sync_server.services import pairing, programs, staff_pins

STORES, TILLS_PER_STORE = 2, 4


@dataclass
class Seen:
    """Confirmed stamps per card at their till, and when each was first seen elsewhere."""

    confirmed: dict[str, list[float]] = field(default_factory=dict)  # card -> times
    latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def confirm(self, card: str) -> None:
        with self.lock:
            self.confirmed.setdefault(card, []).append(time.monotonic())

    def observe(self, counts: dict[str, int], known: dict[str, int]) -> None:
        """``counts``: stamps a watching till now holds per card; ``known``: what it
        held before (updated here)."""
        now = time.monotonic()
        with self.lock:
            for card, count in counts.items():
                times = self.confirmed.get(card, [])
                for k in range(known.get(card, 0), min(count, len(times))):
                    self.latencies_ms.append((now - times[k]) * 1000)
                known[card] = max(known.get(card, 0), min(count, len(times)))


@dataclass
class BenchTill:
    client: SyncClient
    till: Till
    store_id: int
    pin_id: int
    card: str = ""
    thread: threading.Thread | None = None


def _seed(url: str) -> tuple[list[tuple[int, int, str]], list[int]]:
    """Two stores, a PIN each, pairing codes: [(store, pin, code)] per till."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    codes = []
    with factory() as session:
        merchant = accounts.create_merchant(session, "Propagation Café")
        owner = accounts.create_user(session, merchant.id, "owner@prop.example", "prop-own")
        programs.create(session, merchant.id, dict(PROGRAM))
        for s in range(STORES):
            store = accounts.create_store(session, merchant.id, f"Store {s}", "Europe/Paris")
            pin = staff_pins.create(session, merchant.id, store.id, "Sam", f"24{s}8", None)
            assert isinstance(pin, StaffPin)
            for _ in range(TILLS_PER_STORE):
                code = pairing.issue_code(session, store, owner.id, now).code
                codes.append((store.id, pin.id, code))
        session.commit()
    engine.dispose()
    return codes, []


@contextmanager
def private_cluster() -> Iterator[str]:
    """A PostgreSQL cluster of its own on a free loopback port (its admin URL).

    A loyalty database has its cluster to itself: other tenants' load (a test suite
    creating and dropping databases) would share the machine's disk and CPU."""
    folder = Path(tempfile.mkdtemp(prefix="propagation-pg-"))
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    pg_config = shutil.which("pg_config")
    assert pg_config is not None, "pg_config not found: PostgreSQL's server binaries are needed"
    bin_dir = Path(subprocess.check_output([pg_config, "--bindir"], text=True).strip())
    if as_postgres:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    quiet = subprocess.DEVNULL
    subprocess.run(
        [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        stdout=quiet,
        stderr=quiet,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    ctl = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*ctl, "-o", options, "-w", "start"], check=True, stdout=quiet, stderr=quiet)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "fast", "-w", "stop"], check=False, stdout=quiet, stderr=quiet)
        shutil.rmtree(folder, ignore_errors=True)


def run(
    seconds: float = 60.0, rate_per_till: float = 1.0, feed: bool = True, admin: str = PG_ADMIN
) -> dict[str, Any]:
    name, url = fresh_database(admin)
    saved = os.environ.get("LISTEN_DATABASE_URL")
    if not feed:  # the server then answers every wait with "poll": the tills poll
        os.environ["LISTEN_DATABASE_URL"] = "sqlite://"
    server = ServerProcess(url, workers=2)
    tills: list[BenchTill] = []
    stop = threading.Event()
    try:
        codes, _ = _seed(url)
        server.start()
        with tempfile.TemporaryDirectory(prefix="propagation-") as tmp:
            seen = Seen()
            tills = _start_tills(server.url, codes, Path(tmp), seen, stop)
            _ops(tills, seen, seconds, rate_per_till)
            expected = sum(len(t) for t in seen.confirmed.values()) * (TILLS_PER_STORE - 1)
            deadline = time.monotonic() + 30
            while len(seen.latencies_ms) < expected and time.monotonic() < deadline:
                time.sleep(0.1)
            lat = sorted(seen.latencies_ms)
            mode = "" if feed else "_polling"
            return {
                f"propagation{mode}_p50_ms": round(statistics.median(lat), 1),
                f"propagation{mode}_p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 1),
                f"propagation{mode}_max_ms": round(lat[-1], 1),
                f"propagation{mode}_samples": len(lat),
                f"propagation{mode}_missing": expected - len(lat),
            }
    finally:
        stop.set()
        for t in tills:
            t.client.wake()
        for t in tills:
            if t.thread is not None:
                t.thread.join(15)
            t.client.close()
        server.stop()
        if saved is None:
            os.environ.pop("LISTEN_DATABASE_URL", None)
        else:
            os.environ["LISTEN_DATABASE_URL"] = saved
        drop_database(name, admin)


def measure(seconds: float, rate: float, polling: bool = True) -> dict[str, Any]:
    """The live feed (and, with ``polling``, the tills' polling of before) on a
    private cluster."""
    with private_cluster() as admin:
        figures = run(seconds, rate, feed=True, admin=admin)
        if polling:
            figures |= run(seconds, rate, feed=False, admin=admin)
    return figures


def _start_tills(
    url: str, codes: list[tuple[int, int, str]], tmp: Path, seen: Seen, stop: threading.Event
) -> list[BenchTill]:
    tills = []
    for i, (store_id, pin_id, code) in enumerate(codes):
        store = LocalStore(tmp / f"till{i}.db")
        client = SyncClient(store, MemoryTokens())
        client.pair(url, code, f"till-{i}")
        client.sync_once()
        till = Till(store)
        made = till.enroll(f"till{i}@prop.example", None, None, pin_id)
        assert isinstance(made, Confirmed), made
        tills.append(BenchTill(client, till, store_id, pin_id, made.card.card_number))
    for t in tills:
        assert t.client.sync_once().pending == 0
    for t in tills:  # every till holds every card before the clock starts
        t.client.sync_once()
    for t in tills:
        watched = [o.card for o in tills if o.store_id == t.store_id and o is not t]
        t.client.on_state = _watcher(t.client.store, watched, seen)
        t.thread = threading.Thread(target=t.client.run, args=(stop,), daemon=True)
        t.thread.start()
    return tills


def _watcher(store: LocalStore, cards: list[str], seen: Seen) -> Any:
    known: dict[str, int] = {}

    def on_state(state: SyncState) -> None:
        if state.pulling:
            return
        counts = {}
        for number in cards:
            card = store.snapshot_card(number)
            counts[number] = 0 if card is None else card.total_stamps_earned
        seen.observe(counts, known)

    return on_state


def _ops(tills: list[BenchTill], seen: Seen, seconds: float, rate: float) -> None:
    """Each till stamps its own card ``rate`` times a second (jittered), as a cashier
    would: confirmed locally, then the sync thread is woken to push."""
    end = time.monotonic() + seconds

    def cashier(t: BenchTill, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < end:
            made = t.till.perform(AddStamp(card_number=t.card), t.pin_id)
            assert isinstance(made, Confirmed), made
            seen.confirm(t.card)
            t.client.wake()
            time.sleep(rng.uniform(0.5, 1.5) / rate)

    threads = [threading.Thread(target=cashier, args=(t, i)) for i, t in enumerate(tills)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=1.0, help="stamps per till per second")
    parser.add_argument("--shared", action="store_true", help="on 127.0.0.1:5432, shared")
    args = parser.parse_args()
    if args.shared:
        print(json.dumps(run(args.seconds, args.rate)))
    else:
        print(json.dumps(measure(args.seconds, args.rate)))


if __name__ == "__main__":
    main()
