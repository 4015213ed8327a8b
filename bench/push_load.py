"""Push throughput: 8 simulated tills push batches over real HTTP to the real server
(uvicorn, 1 worker: on this 2-core machine, shared with PostgreSQL and the tills, one
worker pushed 1410-1488 ops/s where 2 pushed 1095-1307 and 3 1177-1306, with less CPU
per op on both the server and PostgreSQL; docs/push-profile.md) on PostgreSQL holding
the realistic store set (bench/store_set.py: 100k cards, ~1M ledger entries, 5 stores);
figure = reconciled ops (an outcome came back: applied or rejected, never a duplicate)
per second.

Each run also says where the cores went per op (bench/proc_cpu.py): the server's whole
process tree (``_server_cpu_ms_per_op``: every uvicorn worker, HTTP and all), the
PostgreSQL backends of its database (``_db_cpu_ms_per_op``) and the tills' own threads in
this process (``_client_cpu_ms_per_op``). ``pgbench -N`` runs in the same part, minutes
from the fast run (``push_pgbench_simple_tps``, with its client's CPU per transaction),
so ``push_vs_pgbench`` compares two figures taken under the same load.

Fast path: online ``stamp.add`` / ``points.earn`` only, on a random card of N
(uniform) or one of 10 (hot). Mix: what a till sends over a day (bench/push_mix.py).
Both at 100 ops per batch, and at 1 and 10 (a till back online with a few ops).

``python -m bench.push_load [--cards 100000] [--entries 1000000] [--seconds 20]``; the
last line is JSON.
"""

import argparse
import json
import random
import resource
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import anchors, push_mix, store_set
from bench.chaos import drop_database
from bench.deadline import PART_LIMIT_S, deadline, doing
from bench.proc_cpu import CpuMeter, Finder, backends, tree
from bench.pusher import Pusher as Pusher
from bench.pusher import push_run, summed
from bench.seeding import Seeded as Seeded
from bench.seeding import seed as seed
from bench.server_process import ServerProcess


@dataclass
class Runs:
    """The pushes of one benchmark, on one database: each run its own seq range. Each
    run meters the CPU of the process groups ``watched`` finds (``server``: the server's
    whole tree; the scaling part adds its proxy), of the database's backends and of
    this process (the tills)."""

    url: str
    made: store_set.StoreSet
    seconds: float
    pools: push_mix.Pools
    active: list[str]  # cards a customer still shows (not deactivated)
    watched: dict[str, Finder]
    count: int = 0
    figures: dict[str, Any] = field(default_factory=dict)

    def fast(self, key: str, batch: int, cards: list[str]) -> None:
        seeded = self.made.seeded
        self._run(
            key,
            [
                Pusher(self.url, t, seeded.pin_ids[i], cards, seed=i, batch=batch, seq=self._base)
                for i, (t, _node) in enumerate(seeded.tills)
            ],
        )

    def mix(self, key: str, batch: int) -> None:
        seeded = self.made.seeded
        pushers = [
            push_mix.MixPusher(
                self.url,
                token,
                seeded.pin_ids[i],
                self.active,
                seed=100 + i,
                batch=batch,
                seq=self._base,
                node=node,
                serial=self._base,
                pools=self.pools,
            )
            for i, (token, node) in enumerate(seeded.tills)
        ]
        self._run(key, pushers)
        self.figures[f"{key}_applied_kinds"] = summed([p.applied_kinds for p in pushers])

    @property
    def _base(self) -> int:
        return self.count * 10**7

    def _run(self, key: str, pushers: Sequence[Pusher]) -> None:
        self.count += 1
        doing(f"pushing {key} ({self.seconds:g} s, {len(pushers)} tills)")
        db_name = self.made.seeded.db_name
        meter = CpuMeter()
        finders = {**self.watched, "db": lambda: backends(anchors.PG_ADMIN, db_name)}
        with meter.window(finders):
            result = push_run(pushers, self.seconds)
        self.figures[key] = result["ops_per_s"]
        done = int(result["reconciled"])
        for name in finders:
            self.figures[f"{key}_{name}_cpu_ms_per_op"] = meter.ms_per(name, done)
        self.figures[f"{key}_client_cpu_ms_per_op"] = meter.ms_per("self", done)
        for name in ("applied", "rejected", "batch_p50_ms", "reject_codes"):
            self.figures[f"{key}_{name}"] = result[name]


def run(
    cards: int = 100_000,
    entries: int = 1_000_000,
    seconds: float = 20.0,
    tills: int = 8,
    batch: int = 100,
    small: tuple[int, ...] = (1, 10),
    workers: int = 1,
    fast_only: bool = False,
) -> dict[str, Any]:
    """Every push figure on one private copy of the store set: the fast path (uniform
    and hot cards), the realistic mix, and both at small batch sizes."""
    doing("seeding the store set")
    made = store_set.private_copy(cards, entries, tills=max(tills, store_set.TILLS))
    made.seeded.tills = made.seeded.tills[:tills]
    rng = random.Random(11)
    pools = push_mix.Pools(list(made.stamp_rewards_due), list(made.points_rewards_due))
    rng.shuffle(pools.stamps)
    rng.shuffle(pools.points)
    server = ServerProcess(made.seeded.url, workers=workers)
    try:
        doing("starting the server")
        server.start()
        assert server.proc is not None
        pid = server.proc.pid
        active = [c for c in made.seeded.cards if c not in made.inactive]
        runs = Runs(server.url, made, seconds, pools, active, {"server": lambda: tree(pid)})
        runs.fast("push_ops_per_s", batch, active)
        runs.figures.update(pgbench_now(seconds, tills))
        if not fast_only:
            runs.fast("push_hot_ops_per_s", batch, active[:10])
            runs.mix("push_mix_ops_per_s", batch)
            for size in small:
                runs.fast(f"push_ops_per_s_batch{size}", size, active)
                runs.mix(f"push_mix_ops_per_s_batch{size}", size)
    finally:
        server.stop()
        drop_database(made.seeded.db_name)
    fast = runs.figures
    figures: dict[str, Any] = {
        **fast,
        "push_cpu_ms_per_op": fast["push_ops_per_s_server_cpu_ms_per_op"],
        "push_vs_pgbench": round(fast["push_ops_per_s"] / fast["push_pgbench_simple_tps"], 3),
        "push_workers": workers,
        "push_cards": cards,
        "push_seconds": seconds,
        "push_batch": batch,
        "push_tills": tills,
        "push_mix": push_mix.MIX_TEXT,
        **made.figures("push"),
    }
    return figures


def pgbench_now(seconds: float, clients: int) -> dict[str, Any]:
    """``pgbench -N`` with as many clients as tills, on a database of its own (scale 10,
    as the anchors part), now: the ratio's denominator under the same load as its
    numerator. Its client's CPU is on this machine too, as the tills' is."""
    doing("pgbench -N beside the push runs")
    name = f"loyalty_pgbench_{uuid.uuid4().hex[:8]}"
    anchors._admin(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(
            [anchors.PGBENCH, *anchors.CONN, "-i", "-q", "-s", "10", name],
            capture_output=True,
            check=True,
            timeout=600,
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        threads = ["-c", str(clients), "-j", "2", "-T", str(max(1, round(seconds)))]
        tps = anchors._tps(["-n", "-N", *threads, name])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        anchors._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    client_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "push_pgbench_simple_tps": round(tps, 1),
        "push_pgbench_client_cpu_ms_per_tx": round(client_s * 1000 / (tps * seconds), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--fast-only", action="store_true", help="the fast path at --batch only")
    args = parser.parse_args()
    with deadline(PART_LIMIT_S["push"], "push_load"):
        figures = run(
            args.cards,
            args.entries,
            args.seconds,
            batch=args.batch,
            workers=args.workers,
            fast_only=args.fast_only,
        )
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
