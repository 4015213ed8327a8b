"""Where the push path spends its time: batches pushed in-process through the real app
(no HTTP server, no load generator competing for the CPU) to a fresh PostgreSQL
database, under pyinstrument.

``python -m bench.push_profile [--cards 2000] [--batches 10] [--batch 100]`` prints the
time per op, the SQL statements per batch and pyinstrument's call tree."""

import argparse
import random
import time
from typing import Any

from fastapi.testclient import TestClient
from pyinstrument import Profiler
from sqlalchemy import event

from bench.chaos import drop_database
from bench.push_load import Pusher, seed
from sync_server import sync as push_service
from sync_server.config import Settings
from sync_server.main import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.push_profile")
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    seeded = seed(args.cards, tills=1)
    try:
        app = create_app(Settings(database_url=seeded.url))
        statements = [0]
        event.listen(
            app.state.engine,
            "before_cursor_execute",
            lambda *_: statements.__setitem__(0, statements[0] + 1),
        )
        profiler = Profiler(interval=0.0005)
        real_push = push_service.push

        def profiled(*args: Any, **kwargs: Any) -> Any:
            # The app runs in TestClient's worker thread: profile there, around push only.
            with profiler:
                return real_push(*args, **kwargs)

        token = seeded.tills[0][0]
        pusher = Pusher("", token, seeded.pin_ids[0], seeded.cards, seed=1, batch=args.batch)
        rng = random.Random(1)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            client.post("/api/v1/sync/push", json=_request(pusher, rng))  # warm up
            statements[0] = 0
            push_service.push = profiled
            started = time.perf_counter()
            try:
                for _ in range(args.batches):
                    answer = client.post("/api/v1/sync/push", json=_request(pusher, rng))
                    assert answer.status_code == 200, answer.text
            finally:
                push_service.push = real_push
            elapsed = time.perf_counter() - started
        ops = args.batches * args.batch
        print(f"{ops} ops in {elapsed:.2f} s: {elapsed / ops * 1000:.2f} ms per op in-process")
        inside = profiler.last_session.duration if profiler.last_session else 0.0
        print(f"of which in sync.push: {inside / ops * 1000:.2f} ms per op")
        print(f"SQL statements: {statements[0] / args.batches:.1f} per batch of {args.batch}")
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        app.state.engine.dispose()
    finally:
        drop_database(seeded.db_name)


def _request(pusher: Pusher, rng: random.Random) -> dict[str, object]:
    from datetime import UTC, datetime

    return {"sent_at": datetime.now(UTC).isoformat(), "ops": pusher._ops(rng)}


if __name__ == "__main__":
    main()
