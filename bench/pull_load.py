"""Pull: a new till's first full sync into its SQLite, and an incremental pull of 100
changed cards, with a real Terminal / SyncClient against the real server (uvicorn, 2
workers) on PostgreSQL holding the realistic store set (bench/store_set.py): the till
is paired to the first of 5 stores, so its first sync carries every card and customer
of the merchant, its store's 100 staff PINs and its store's share of the ~1M ledger
entries (of which the till keeps its retention window, common/retention.py).

The till's database is encrypted, as a till runs it (``pull_100k_cards_s``), and new
tills with an unencrypted one run the same first sync in the same run
(``pull_100k_cards_plain_s``), in turn with more encrypted ones: each figure is the
median of ``first_syncs`` first syncs, so a burst of load or the server's cold start
weighs on neither alone.

``python -m bench.pull_load [--cards 100000] [--entries 1000000]``; the last line is JSON.
"""

import argparse
import json
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench import store_set
from bench.chaos import drop_database
from bench.deadline import PART_LIMIT_S, deadline, doing
from bench.pusher import Pusher
from bench.seeding import Seeded
from bench.server_process import ServerProcess
from desktop.engine.cache_key import KEY_BYTES, CacheKey
from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient
from desktop.engine.terminal import Terminal
from desktop.engine.tokens import MemoryTokens
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Store
from sync_server.services import pairing


def _pairing_code(url: str, store_id: int, owner_id: int) -> str:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            store = session.get(Store, store_id)
            assert store is not None
            code = pairing.issue_code(session, store, owner_id, datetime.now(UTC)).code
            session.commit()
            return code
    finally:
        engine.dispose()


def _change_cards(server_url: str, pusher: Pusher, rng: random.Random) -> None:
    """100 stamps on 100 different cards, pushed by another till."""
    cards = rng.sample(pusher.cards, 100)
    ops = pusher._ops(rng)
    for op, card in zip(ops, cards, strict=True):
        op["body"] = {"type": "stamp.add", "card_number": card}
    body = {"sent_at": datetime.now(UTC).isoformat(), "ops": ops, "pin_failures": []}
    response = httpx.post(
        f"{server_url}/api/v1/sync/push",
        json=body,
        headers={"Authorization": f"Bearer {pusher.token}"},
        timeout=60,
    )
    response.raise_for_status()
    assert all(r["status"] == "applied" for r in response.json()["results"])


def run(
    cards: int = 100_000, entries: int = 1_000_000, rounds: int = 5, first_syncs: int = 3
) -> dict[str, Any]:
    doing("seeding the store set")
    made = store_set.private_copy(cards, entries)
    seeded = made.seeded
    server = ServerProcess(seeded.url, workers=2)
    try:
        doing("starting the server")
        server.start()
        with tempfile.TemporaryDirectory() as folder:
            terminal = Terminal(Path(folder), tokens=MemoryTokens())
            try:
                terminal.client.pair(
                    server.url, _pairing_code(seeded.url, seeded.store_id, seeded.owner_id)
                )
                doing("the first sync")
                started, cpu = time.perf_counter(), time.process_time()
                state = terminal.client.sync_once()
                full_s = time.perf_counter() - started
                full_cpu = time.process_time() - cpu
                if not state.online or state.error:
                    raise RuntimeError(f"first sync failed: {state.error}")
                if terminal.store.key is None:
                    raise RuntimeError("the till's database is not encrypted")
                local = _counted(terminal.store)
                active = [c for c in seeded.cards if c not in made.inactive]
                other = Pusher(server.url, seeded.tills[0][0], seeded.pin_ids[0], active, 0)
                rng = random.Random(3)
                incremental = []
                for i in range(rounds):
                    doing(f"incremental pull {i + 1} of {rounds}")
                    _change_cards(server.url, other, rng)
                    started = time.perf_counter()
                    state = terminal.client.sync_once()
                    incremental.append((time.perf_counter() - started) * 1000)
                    if not state.online or state.error:
                        raise RuntimeError(f"incremental sync failed: {state.error}")
            finally:
                terminal.close()
        sealed, plain = [(full_s, full_cpu)], []
        for i in range(first_syncs):
            doing(f"first syncs side by side, {i + 1} of {first_syncs}")
            plain.append(_first_sync(server.url, seeded, encrypted=False))
            if len(sealed) < first_syncs:
                sealed.append(_first_sync(server.url, seeded, encrypted=True))
    finally:
        server.stop()
        drop_database(seeded.db_name)
    # The till keeps only its retention window of the history the sync carried
    # (common/retention.py): every card and PIN must land, some of the ledger.
    if local["cards"] != cards or not 0 < local["transactions"] <= made.store_entries:
        raise RuntimeError(
            f"the first sync is incomplete: {local} of {cards} cards, "
            f"{made.store_entries} entries sent"
        )
    return {
        "pull_100k_cards_s": round(statistics.median(s for s, _ in sealed), 2),
        "pull_100k_cards_plain_s": round(statistics.median(s for s, _ in plain), 2),
        # The till's own CPU (this process: HTTP client, parsing, SQLite, cipher; the
        # server is another process): what encryption costs, far less swayed by load.
        "pull_first_sync_cpu_s": round(statistics.median(c for _, c in sealed), 2),
        "pull_first_sync_plain_cpu_s": round(statistics.median(c for _, c in plain), 2),
        "pull_first_syncs": first_syncs,
        "pull_first_sync_sealed_s": [round(s, 2) for s, _ in sealed],
        "pull_first_sync_plain_s": [round(s, 2) for s, _ in plain],
        "pull_cards": cards,
        "pull_local_cards": local["cards"],
        "pull_sent_transactions": made.store_entries,
        "pull_local_transactions": local["transactions"],
        "pull_local_staff_pins": local["staff_pins"],
        "pull_incremental_ms": round(statistics.median(incremental), 1),
        "pull_incremental_max_ms": round(max(incremental), 1),
        "pull_incremental_rounds": rounds,
        **made.figures("pull"),
    }


def _first_sync(server_url: str, seeded: Seeded, encrypted: bool) -> tuple[float, float]:
    """The same first sync into another new till, its database encrypted or not."""
    key = CacheKey(secrets.token_bytes(KEY_BYTES), MemoryTokens()) if encrypted else None
    with tempfile.TemporaryDirectory() as folder:
        store = LocalStore(Path(folder) / "till.db", key=key)
        client = SyncClient(store, MemoryTokens())
        try:
            client.pair(server_url, _pairing_code(seeded.url, seeded.store_id, seeded.owner_id))
            started, cpu = time.perf_counter(), time.process_time()
            state = client.sync_once()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if not state.online or state.error:
                raise RuntimeError(f"first sync (encrypted: {encrypted}) failed: {state.error}")
        finally:
            client.close()
            store.close()
    return elapsed, cpu


def _counted(store: LocalStore) -> dict[str, int]:
    """Rows the till holds after its first sync, per table the sync fills."""
    with store.reading() as db:
        return {
            table: int(db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("cards", "customers", "transactions", "staff_pins")
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    with deadline(PART_LIMIT_S["pull"], "pull_load"):
        print(json.dumps(run(args.cards, args.entries)))


if __name__ == "__main__":
    main()
