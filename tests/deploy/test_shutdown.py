"""SIGTERM while a large push is in flight: the batch finishes, its answer arrives
whole, the ops are in the database and the server exits 0.

The push is held in flight deterministically, without sleeps: the test takes SQLite's
write lock first, so the server's request waits on it; SIGTERM goes in once the
request has started, the lock is released once shutdown has begun.
"""

import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from sync_server.db import make_engine, make_session_factory
from sync_server.models.sync import SyncOp
from tests.deploy.serve import free_port, server_env, serving
from tests.support.shop import make_shop
from tests.support.till import pair

OPS = 300


@pytest.mark.slow
def test_sigterm_lets_an_in_flight_push_batch_finish(tmp_path: Path, sqlite_templates):
    url = sqlite_templates.fresh(tmp_path / "shutdown.db")
    engine = make_engine(url)
    factory = make_session_factory(engine)
    shop = make_shop(factory)
    port = free_port()
    env = server_env(url, port, LOYALTY_LOG_LEVEL="DEBUG", LOYALTY_SHUTDOWN_GRACE_SECONDS="300")
    argv = ["loyalty-server", "serve", "--workers", "2"]

    with serving(argv, env, port, tmp_path / "server.log") as server:
        http = httpx.Client(base_url=server.url, timeout=300)
        till = pair(http, shop.owner_headers)
        enrolled = http.post(
            "/api/v1/store/loyalty/cards/enroll",
            json={"email": "s@example.com"},
            headers=shop.owner_headers,
        )
        number = enrolled.json()["card_number"]
        body = {"type": "points.earn", "card_number": number, "purchase_amount_cents": 100}
        ops = [till.op(body, staff_pin_id=shop.pin_ids[till.store_id]) for _ in range(OPS)]

        lock = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the server's push now waits for this lock
        answer: dict[str, Any] = {}
        pushing = threading.Thread(target=lambda: answer.update(response=till.push(ops)))
        pushing.start()
        server.wait_for_record(msg="request started", path="/api/v1/sync/push")
        server.proc.send_signal(15)  # SIGTERM, as systemd and docker stop send it
        server.wait_for_log("Shutting down")
        lock.execute("ROLLBACK")
        lock.close()
        pushing.join()
        http.close()
        exit_code = server.proc.wait(timeout=300)
        order = [r.get("path") if r["msg"] == "request" else r["msg"] for r in server.log_records()]

    response = answer["response"]
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["seq"] for r in results] == [op["seq"] for op in ops]
    assert {r["status"] for r in results} == {"applied"}
    assert exit_code == 0
    # answered after shutdown began: it was in flight when SIGTERM came
    assert order.index("Shutting down") < order.index("/api/v1/sync/push")
    with factory() as session:
        stored = session.scalar(
            select(func.count()).select_from(SyncOp).where(SyncOp.terminal_id == till.terminal_id)
        )
    engine.dispose()
    assert stored == OPS
