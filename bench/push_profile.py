"""Where the push path spends its time: batches pushed in-process through the real app
(no HTTP server, no load generator competing for the CPU) to a fresh PostgreSQL
database, with pyinstrument around ``sync_server.sync.push``.

``python -m bench.push_profile [--cards 2000] [--batches 10] [--batch 100]`` prints the
time per op, the SQL statements per batch and pyinstrument's call tree; ``python -m
bench`` puts the same into docs/benchmarks.md."""

import argparse
import random
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from pyinstrument import Profiler
from sqlalchemy import event

from bench.chaos import drop_database
from bench.push_load import Pusher, seed
from sync_server.config import Settings
from sync_server.main import create_app
from sync_server.sync import push as push_service


def run(cards: int = 2000, batches: int = 10, batch: int = 100) -> dict[str, Any]:
    """Figures, and the call tree under ``push_profile_tree`` (text)."""
    seeded = seed(cards, tills=1)
    try:
        app = create_app(Settings(database_url=seeded.url))
        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        event.listen(app.state.engine, "before_cursor_execute", count)
        profiler = Profiler(interval=0.0005)
        real_push = push_service.push

        def profiled(*args: Any, **kwargs: Any) -> Any:
            # The app runs in TestClient's worker thread: profile there, around push only.
            with profiler:
                return real_push(*args, **kwargs)

        token = seeded.tills[0][0]
        pusher = Pusher("", token, seeded.pin_ids[0], seeded.cards, seed=1, batch=batch)
        rng = random.Random(1)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            client.post("/api/v1/sync/push", json=_request(pusher, rng))  # warm up
            statements[0] = 0
            push_service.push = profiled
            try:
                for _ in range(batches):
                    answer = client.post("/api/v1/sync/push", json=_request(pusher, rng))
                    assert answer.status_code == 200, answer.text
            finally:
                push_service.push = real_push
        app.state.engine.dispose()
    finally:
        drop_database(seeded.db_name)
    session = profiler.last_session
    ops = batches * batch
    return {
        "push_profile_ms_per_op": round((session.duration if session else 0) / ops * 1000, 3),
        "push_profile_cpu_ms_per_op": round((session.cpu_time if session else 0) / ops * 1000, 3),
        "push_profile_statements_per_batch": round(statements[0] / batches, 1),
        "push_profile_batch": batch,
        "push_profile_tree": profiler.output_text(unicode=False, color=False),
    }


def _request(pusher: Pusher, rng: random.Random) -> dict[str, object]:
    return {"sent_at": datetime.now(UTC).isoformat(), "ops": pusher._ops(rng)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.push_profile")
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    figures = run(args.cards, args.batches, args.batch)
    print(figures.pop("push_profile_tree"))
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
