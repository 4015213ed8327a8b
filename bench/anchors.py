"""The anchors: what this PostgreSQL on this machine does with pgbench, measured in the
same run as the figures judged against them.

simple: ``pgbench -N`` (no branch/teller updates), 8 clients.
hot: a custom script: lock one of 10 rows FOR UPDATE, update it, insert a history row.

``python -m bench.anchors [--seconds 20]``; the last line is JSON.
"""

import argparse
import json
import re
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PGBENCH = "/usr/bin/pgbench"
CONN = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
HOT_SCRIPT = """\\set id random(1, 10)
BEGIN;
SELECT balance FROM hot WHERE id = :id FOR UPDATE;
UPDATE hot SET balance = balance + 1 WHERE id = :id;
INSERT INTO hot_history (hot_id, delta, at) VALUES (:id, 1, now());
END;
"""
_TPS = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def _tps(args: list[str]) -> float:
    out = subprocess.run(
        [PGBENCH, *CONN, *args], capture_output=True, text=True, check=True, timeout=600
    ).stdout
    match = _TPS.search(out)
    if match is None:
        raise RuntimeError(f"no tps in pgbench output: {out[-500:]}")
    return float(match.group(1))


def run(seconds: int = 20, clients: int = 8, scale: int = 10) -> dict[str, float]:
    name = f"loyalty_pgbench_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(
            [PGBENCH, *CONN, "-i", "-q", "-s", str(scale), name],
            capture_output=True,
            check=True,
            timeout=600,
        )
        threads = ["-c", str(clients), "-j", "2", "-T", str(seconds)]
        simple = _tps(["-n", "-N", *threads, name])
        with psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
            conn.execute("CREATE TABLE hot (id int PRIMARY KEY, balance bigint NOT NULL)")
            conn.execute(
                "CREATE TABLE hot_history (id bigserial PRIMARY KEY, hot_id int NOT NULL, "
                "delta int NOT NULL, at timestamptz NOT NULL)"
            )
            conn.execute("INSERT INTO hot SELECT g, 0 FROM generate_series(1, 10) AS g")
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "hot.sql"
            script.write_text(HOT_SCRIPT)
            hot = _tps(["-n", "-f", str(script), *threads, name])
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "pgbench_simple_tps": round(simple, 1),
        "pgbench_hot_tps": round(hot, 1),
        "pgbench_seconds": seconds,
        "pgbench_clients": clients,
        "pgbench_scale": scale,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(run(args.seconds, scale=args.scale)))


if __name__ == "__main__":
    main()
