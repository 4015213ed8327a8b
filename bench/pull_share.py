"""What pulls cost the database beside pushes: the measurement behind the decision on
read replicas (docs/deploy.md, "Pulls and read replicas").

A replica can only take database work off the primary; the server instances scale
out by themselves. So the question is how much of the primary's CPU goes to pulls
when a merchant's tills all pull after each change, as the live feed makes them.

One till pushes batches of stamps and earns; after each batch the other tills (8 by
default) each pull until caught up, together, as a ``changed`` event makes them; then
each pulls once more with nothing new (a stream's end). CPU time is read from /proc
around each step: the PostgreSQL backends serving this run's database (found in
``pg_stat_activity``, so other databases' load does not count) and the server's
whole process tree. CPU time, not wall time, so a busy machine does not bias it.

``python -m bench.pull_share [--tills 8] [--rounds 60] [--batch 10]``; the last line
is JSON.
"""

import argparse
import functools
import json
import os
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.chaos import drop_database
from bench.deadline import deadline, doing
from bench.failover_till import PullingTill
from bench.proc_cpu import backends, process_cpu_s, tree
from bench.seeding import Seeded, libpq, seed
from bench.server_process import ServerProcess


class CpuMeter:
    """CPU milliseconds spent so far by the database's backends and the server."""

    def __init__(self, db_url: str, db_name: str, server: ServerProcess) -> None:
        self._admin = libpq(db_url).rsplit("/", 1)[0] + "/postgres"
        self._db_name = db_name
        assert server.proc is not None
        self._server_pid = server.proc.pid

    def read(self) -> tuple[float, float]:
        database = sum(process_cpu_s(pid) for pid in backends(self._admin, self._db_name))
        server = sum(process_cpu_s(pid) for pid in tree(self._server_pid))
        return database * 1000, server * 1000


class Spent:
    """Per-step CPU, read before and after each step (pids present at both)."""

    def __init__(self, meter: CpuMeter) -> None:
        self.meter = meter
        self.database = 0.0
        self.server = 0.0

    def during(self, step: Any) -> Any:
        before = self.meter.read()
        result = step()
        after = self.meter.read()
        self.database += max(0.0, after[0] - before[0])
        self.server += max(0.0, after[1] - before[1])
        return result


def _push_batch(
    client: httpx.Client, seeded: Seeded, rng: random.Random, size: int, first_seq: int
) -> int:
    ops: list[dict[str, Any]] = []
    for _ in range(size):
        card = rng.choice(seeded.cards)
        body: dict[str, Any] = (
            {"type": "stamp.add", "card_number": card}
            if rng.random() < 0.5
            else {"type": "points.earn", "card_number": card, "purchase_amount_cents": 1250}
        )
        ops.append(
            {
                "op_id": str(uuid.uuid4()),
                "seq": first_seq + len(ops),
                "staff_pin_id": seeded.pin_ids[0],
                "client_time": datetime.now(UTC).isoformat(),
                "offline": False,
                "snapshot_age_s": None,
                "body": body,
            }
        )
    sent = {"sent_at": datetime.now(UTC).isoformat(), "ops": ops, "pin_failures": []}
    response = client.post("/api/v1/sync/push", json=sent)
    response.raise_for_status()
    results = response.json()["results"]
    return sum(1 for r in results if r["status"] == "applied")


def _all_pull(tills: list[PullingTill], stop: threading.Event) -> int:
    """Every till pulls until caught up, together; the pages they took."""
    pages = [0] * len(tills)

    def one(i: int) -> None:
        with tills[i]._client() as client:
            for _ in range(50):
                pages[i] += 1
                if tills[i].pull_page(client) or stop.is_set():
                    return

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(tills))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sum(pages)


def run(tills: int = 8, rounds: int = 60, batch: int = 10, cards: int = 5000) -> dict[str, Any]:
    doing("seeding")
    seeded = seed(cards=cards, tills=tills + 1)
    server = ServerProcess(seeded.url, workers=2)
    try:
        server.start()
        pullers = [
            PullingTill(f"puller-{i}", server.url, token, node, seeded.pin_ids[0], [], [], 0, i)
            for i, (token, node) in enumerate(seeded.tills[1:])
        ]
        stop = threading.Event()
        doing("first syncs")
        for till in pullers:
            assert till.catch_up(stop, pages=100), "a till did not catch up"
        meter = CpuMeter(seeded.url, seeded.db_name, server)
        pushing, pulling, idle = Spent(meter), Spent(meter), Spent(meter)
        applied = pages = quiet_pages = 0
        rng = random.Random(7)
        headers = {"Authorization": f"Bearer {seeded.tills[0][0]}"}
        doing("rounds of a push and every till's pull")
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as client:
            for n in range(rounds):
                push = functools.partial(_push_batch, client, seeded, rng, batch, 1 + n * batch)
                applied += pushing.during(push)
                pages += pulling.during(lambda: _all_pull(pullers, stop))
                quiet_pages += idle.during(lambda: _all_pull(pullers, stop))
    finally:
        server.stop()
        drop_database(seeded.db_name)
    assert applied == rounds * batch, f"{applied} of {rounds * batch} ops applied"
    pulls = rounds * tills
    db_push_op = pushing.database / applied
    db_pull = pulling.database / pulls
    share = pulling.database / (pulling.database + pushing.database)
    return {
        "pull_share_tills": tills,
        "pull_share_rounds": rounds,
        "pull_share_batch": batch,
        "pull_share_ops_applied": applied,
        "pull_share_pages": pages,
        "pull_share_quiet_pages": quiet_pages,
        "pull_share_db_cpu_ms_per_push_op": round(db_push_op, 3),
        "pull_share_server_cpu_ms_per_push_op": round(pushing.server / applied, 3),
        "pull_share_db_cpu_ms_per_pull": round(db_pull, 3),
        "pull_share_server_cpu_ms_per_pull": round(pulling.server / pulls, 3),
        "pull_share_db_cpu_ms_per_quiet_pull": round(idle.database / pulls, 3),
        "pull_share_server_cpu_ms_per_quiet_pull": round(idle.server / pulls, 3),
        # Of the database CPU of a change and every till's pull after it.
        "pull_share_of_db_cpu": round(share, 3),
        "pull_share_server_share": round(pulling.server / (pulling.server + pushing.server), 3),
        "pull_share_load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tills", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--deadline", type=float, default=600)
    args = parser.parse_args()
    began = time.monotonic()
    with deadline(args.deadline, "pull share"):
        figures = run(args.tills, args.rounds, args.batch, args.cards)
    figures["pull_share_seconds"] = round(time.monotonic() - began, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
