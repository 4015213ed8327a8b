"""Server connections to PostgreSQL under a push load, with or without PgBouncer: the
figures of docs/deploy.md §5 (kept to repeat the measurement, not used by the topology).

On a running topology (``./bin/topology up`` or ``up --pgbouncer``), from the
repository's root::

    PYTHONPATH=. .venv/bin/python packaging/topology/pooler_trial.py [--tills 8] [--ops 120]

It empties the ``loyalty`` database (as bench.failover does), seeds a merchant, runs
the tills (bench/sim_till.py, 5 ops a push) through HAProxy and samples the primary's
pg_stat_activity every 0.2 s: the live feed's links (application_name loyalty-feed,
direct) apart from the rest (the instances' pools, or PgBouncer's). Bounded by
``--deadline``. Last line: JSON."""

import argparse
import json
import os
import statistics
import threading
import time
from pathlib import Path

import psycopg

from bench.chaos import _seed
from bench.sim_till import SimTill
from sync_server.migrate import upgrade

COUNT = """
SELECT count(*) FILTER (WHERE application_name = 'loyalty-feed'),
       count(*) FILTER (WHERE application_name <> 'loyalty-feed')
  FROM pg_stat_activity WHERE datname = 'loyalty' AND backend_type = 'client backend'
"""


def topology_env() -> dict[str, str]:
    default = "/var/tmp/loyalty-topology"  # noqa: S108 - topology.sh's own default
    folder = Path(os.environ.get("LOYALTY_TOPOLOGY_DIR", default))
    lines = (folder / "topology.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def reset_database(env: dict[str, str]) -> None:
    admin = f"host=127.0.0.1 port={env['HA_PG_PORT']} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS loyalty WITH (FORCE)")
        conn.execute("CREATE DATABASE loyalty")
    upgrade(env["DATABASE_URL"])


def sample(port: str, stop: threading.Event, into: list[tuple[int, int]]) -> None:
    """From the ``postgres`` database, so the sampler is not counted."""
    with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres") as conn:
        conn.autocommit = True
        while not stop.wait(0.2):
            row = conn.execute(COUNT).fetchone()
            assert row is not None
            into.append((row[0], row[1]))


def run(tills: int, ops: int, deadline: float) -> dict[str, object]:
    env = topology_env()
    reset_database(env)
    made, shared, emails, _ = _seed(env["DATABASE_URL"], tills=tills, shared=3 * tills)
    url = f"http://127.0.0.1:{env['HA_HTTP_PORT']}"
    sims = [
        SimTill(f"p{i}", url, m["token"], m["node"], m["pin_id"], shared, emails, ops, i, batch=5)
        for i, m in enumerate(made)
    ]
    stop, samples = threading.Event(), list[tuple[int, int]]()
    sampler = threading.Thread(target=sample, args=(env["HA_PG_PORT"], stop, samples))
    threads = [threading.Thread(target=s.run, args=(stop,)) for s in sims]
    sampler.start()
    time.sleep(2)  # the feed's links, cut by the reset, back
    idle = samples[-1] if samples else (0, 0)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - (time.monotonic() - started)))
    seconds = time.monotonic() - started
    stop.set()
    for thread in [*threads, sampler]:
        thread.join()
    busy = [other for _, other in samples[3:]] or [0]
    answered = sum(len(s.outcomes) for s in sims)
    return {
        "pgbouncer": bool(env.get("PGBOUNCER_PORT")),
        "tills": tills,
        "ops": answered,
        "seconds": round(seconds, 1),
        "ops_per_s": round(answered / seconds, 1),
        "failed_requests": sum(s.retries for s in sims),
        "feed_connections": max(feed for feed, _ in samples),
        "idle_other_connections": idle[1],
        "max_other_connections": max(busy),
        "mean_other_connections": round(statistics.fmean(busy), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tills", type=int, default=8)
    parser.add_argument("--ops", type=int, default=120, help="ops per till")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds")
    args = parser.parse_args()
    print(json.dumps(run(args.tills, args.ops, args.deadline)))


if __name__ == "__main__":
    main()
