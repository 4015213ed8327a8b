"""Push throughput: 8 simulated tills push batches over real HTTP to the real server
(uvicorn, 2 workers) on PostgreSQL holding the realistic store set (bench/store_set.py:
100k cards, ~1M ledger entries, 5 stores); figure = reconciled ops (an outcome came
back: applied or rejected, never a duplicate) per second.

Fast path: online ``stamp.add`` / ``points.earn`` only, on a random card of N
(uniform) or one of 10 (hot). Mix: what a till sends over a day (bench/push_mix.py).
Both at 100 ops per batch, and at 1 and 10 (a till back online with a few ops).

``python -m bench.push_load [--cards 100000] [--entries 1000000] [--seconds 20]``; the
last line is JSON.
"""

import argparse
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import push_mix, store_set
from bench.chaos import drop_database
from bench.deadline import PART_LIMIT_S, deadline, doing
from bench.pusher import Pusher as Pusher
from bench.pusher import push_run, summed
from bench.seeding import Seeded as Seeded
from bench.seeding import seed as seed
from bench.server_process import ServerProcess


@dataclass
class _Runs:
    """The pushes of one benchmark, on one database: each run its own seq range."""

    url: str
    made: store_set.StoreSet
    seconds: float
    pools: push_mix.Pools
    active: list[str]  # cards a customer still shows (not deactivated)
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
        result = push_run(pushers, self.seconds)
        self.figures[key] = result["ops_per_s"]
        for name in ("applied", "rejected", "batch_p50_ms", "reject_codes"):
            self.figures[f"{key}_{name}"] = result[name]


def run(
    cards: int = 100_000,
    entries: int = 1_000_000,
    seconds: float = 20.0,
    tills: int = 8,
    batch: int = 100,
    small: tuple[int, ...] = (1, 10),
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
    server = ServerProcess(made.seeded.url, workers=2)
    try:
        doing("starting the server")
        server.start()
        active = [c for c in made.seeded.cards if c not in made.inactive]
        runs = _Runs(server.url, made, seconds, pools, active)
        runs.fast("push_ops_per_s", batch, active)
        runs.fast("push_hot_ops_per_s", batch, active[:10])
        runs.mix("push_mix_ops_per_s", batch)
        for size in small:
            runs.fast(f"push_ops_per_s_batch{size}", size, active)
            runs.mix(f"push_mix_ops_per_s_batch{size}", size)
    finally:
        server.stop()
        drop_database(made.seeded.db_name)
    figures: dict[str, Any] = {
        **runs.figures,
        "push_cards": cards,
        "push_seconds": seconds,
        "push_batch": batch,
        "push_tills": tills,
        "push_mix": push_mix.MIX_TEXT,
        **made.figures("push"),
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with deadline(PART_LIMIT_S["push"], "push_load"):
        print(json.dumps(run(args.cards, args.entries, args.seconds, batch=args.batch)))


if __name__ == "__main__":
    main()
