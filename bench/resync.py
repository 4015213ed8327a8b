"""Digests (docs/sync-protocol.md, "Digests"): what a check costs, and how long a till
takes to find and repair one card that differs from the server.

A real server (uvicorn, 2 workers) on PostgreSQL holding the realistic store set
(bench/store_set.py) and a real till (encrypted cache) paired to its first store,
after its first sync: every card and customer of the merchant, 100 PINs, the store's
ledger within the till's window.

- ``resync_bucket_ms``: one card's balance altered in the till's cache; from the final
  page of a round (with its digests) in hand to the repaired state: the till's digests,
  the re-pull of the one bucket, its replacement and check (median of ``rounds``,
  each on another card).
- ``resync_check_ms``: the same check when nothing differs (the till's digests alone).
- ``resync_pull_digests_ms`` / ``resync_pull_plain_ms``: an incremental pull with
  nothing new, with and without the server's digests (median, in turn).

``python -m bench.resync [--cards 100000] [--entries 1000000]``; the last line is JSON.
"""

import argparse
import json
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
from bench.server_process import ServerProcess
from common import protocol
from desktop.engine import digest_check
from desktop.engine.terminal import Terminal
from desktop.engine.tokens import MemoryTokens
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Store
from sync_server.services import pairing


def run(cards: int = 100_000, entries: int = 1_000_000, rounds: int = 5) -> dict[str, Any]:
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
                state = terminal.client.sync_once()
                if not state.online or state.error:
                    raise RuntimeError(f"first sync failed: {state.error}")
                return _measure(terminal, rounds)
            finally:
                terminal.close()
    finally:
        server.stop()
        drop_database(seeded.db_name)


def _measure(terminal: Terminal, rounds: int) -> dict[str, Any]:
    store = terminal.store
    token = terminal.client.tokens.get()
    headers = {"Authorization": f"Bearer {token}", **protocol.till_headers()}
    with httpx.Client(base_url=store.get_meta("base_url"), headers=headers, timeout=60) as http:

        def final_page(digests: bool) -> tuple[dict[str, Any], float]:
            params: dict[str, Any] = {"cursor": store.get_meta("cursor"), "format": "columns"}
            if digests:
                params["digests"] = "true"
            started = time.perf_counter()
            page = http.get("/api/v1/sync/pull", params=params).json()
            assert not page["has_more"], "the till is not caught up"
            return page, (time.perf_counter() - started) * 1000

        def fetch(names: str) -> Any:
            return http.get("/api/v1/sync/buckets", params={"names": names}).json()

        plain, with_digests, checks, repairs = [], [], [], []
        for i in range(rounds):
            doing(f"round {i + 1} of {rounds}")
            plain.append(final_page(False)[1])
            page, spent = final_page(True)
            with_digests.append(spent)
            started = time.perf_counter()
            clean = digest_check.check(store, page["digests"], fetch)
            checks.append((time.perf_counter() - started) * 1000)
            if clean.differed:
                raise RuntimeError(f"the till differs before any corruption: {clean.differed}")
            number = _corrupt(terminal, i)
            page, _ = final_page(True)
            started = time.perf_counter()
            verdict = digest_check.check(store, page["digests"], fetch)
            repairs.append((time.perf_counter() - started) * 1000)
            if len(verdict.differed) != 1 or verdict.still or _balance(terminal, number) == -1:
                raise RuntimeError(f"the repair of card {number} failed: {verdict}")
    return {
        "resync_bucket_ms": round(statistics.median(repairs), 1),
        "resync_bucket_max_ms": round(max(repairs), 1),
        "resync_check_ms": round(statistics.median(checks), 1),
        "resync_pull_digests_ms": round(statistics.median(with_digests), 1),
        "resync_pull_plain_ms": round(statistics.median(plain), 1),
        "resync_rounds": rounds,
        "resync_local_cards": _count(terminal, "cards"),
        "resync_local_transactions": _count(terminal, "transactions"),
    }


def _pairing_code(url: str, store_id: int, owner_id: int) -> str:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            store = session.get_one(Store, store_id)
            code = pairing.issue_code(session, store, owner_id, datetime.now(UTC)).code
            session.commit()
            return code
    finally:
        engine.dispose()


def _corrupt(terminal: Terminal, i: int) -> str:
    """One card's balance set to -1 in the till's cache; returns its number."""
    with terminal.store.transaction() as conn:
        number = conn.execute(
            text("SELECT card_number FROM cards ORDER BY id LIMIT 1 OFFSET :i"), {"i": 1000 * i}
        ).scalar_one()
        conn.execute(
            text(
                "UPDATE cards SET state = json_set(state, '$.stamp_count', -1) "
                "WHERE card_number = :n"
            ),
            {"n": number},
        )
    return str(number)


def _balance(terminal: Terminal, number: str) -> int:
    with terminal.store.reading() as conn:
        state = conn.execute(
            text("SELECT state FROM cards WHERE card_number = :n"), {"n": number}
        ).scalar_one()
    return int(json.loads(state)["stamp_count"])


def _count(terminal: Terminal, table: str) -> int:
    with terminal.store.reading() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with deadline(PART_LIMIT_S["resync"], "resync"):
        print(json.dumps(run(args.cards, args.entries, args.rounds)))


if __name__ == "__main__":
    main()
