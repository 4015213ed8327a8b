"""``python -m bench.reconnect``: a server killed (-9) and started again: how long until
a till that was online is online again, counted from the moment the new server answers
its health probe. The till runs its real sync thread (desktop SyncClient.run, its
default interval and backoff); the server is two uvicorn workers on PostgreSQL.

The till's clock starts nothing: it is told nothing. It finds out by itself, through
its own rounds and probes, which is what a shop sees after a server restart.
"""

import argparse
import json
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.chaos import drop_database, fresh_database
from bench.seeding import PROGRAM
from bench.server_process import ServerProcess
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient
from desktop.engine.tokens import MemoryTokens
from sync_server.auth import accounts
from sync_server.db import make_engine, make_session_factory
from sync_server.services import pairing, programs

DEADLINE_S = 600.0


def _code(url: str) -> str:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        merchant = accounts.create_merchant(session, "Reconnect Café")
        owner = accounts.create_user(session, merchant.id, "owner@re.example", "re-owner")
        programs.create(session, merchant.id, dict(PROGRAM))
        store = accounts.create_store(session, merchant.id, "Store", "Europe/Paris")
        code = pairing.issue_code(session, store, owner.id, datetime.now(UTC)).code
        session.commit()
    engine.dispose()
    return code


def _until(condition: Any, what: str, seconds: float = 60.0) -> float:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"reconnect: {what} not seen within {seconds:.0f} s")
        time.sleep(0.01)
    return time.monotonic()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def run(rounds: int, down_s: float) -> dict[str, Any]:
    began = time.monotonic()
    name, url = fresh_database()
    server = ServerProcess(url, workers=2)
    samples: list[float] = []
    try:
        server.start()
        with tempfile.TemporaryDirectory() as folder:
            store = LocalStore(Path(folder) / "till.db")
            client = SyncClient(store, MemoryTokens())
            client.pair(server.url, _code(url), "Till")
            stop = threading.Event()
            worker = threading.Thread(target=client.run, args=(stop,), daemon=True)
            worker.start()
            try:
                for _ in range(rounds):
                    if time.monotonic() - began > DEADLINE_S:
                        raise TimeoutError(f"reconnect: {DEADLINE_S:.0f} s passed")
                    _until(lambda: client.state.online, "the till online")
                    server.kill9()
                    _until(lambda: not client.state.online, "the till offline")
                    time.sleep(down_s)  # the till backs off or probes meanwhile
                    server.start()
                    up = _until(lambda: _answers(server.url), "the server up")
                    back = _until(lambda: client.state.online, "the till back online")
                    samples.append(back - up)
            finally:
                stop.set()
                client.wake()
                worker.join(15)
                store.close()
    finally:
        server.stop()
        drop_database(name)
    return {
        "reconnect_s": round(max(samples), 2),
        "reconnect_median_s": round(statistics.median(samples), 2),
        "reconnect_rounds": rounds,
        "reconnect_down_s": down_s,
        "bench_reconnect_seconds": round(time.monotonic() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--down", type=float, default=20.0, help="seconds the server stays down")
    args = parser.parse_args()
    print(json.dumps(run(args.rounds, args.down)))


if __name__ == "__main__":
    main()
