"""A burst of tills coming back at once (after an outage, at opening time) is served,
not stalled: with 40 worker threads and 15 pooled connections, 60 simultaneous pulls
deadlocked for the pool's 30 s timeout — requests holding a connection between two of
their thread hops waited for a thread, while every thread waited for a connection —
and then answered 503."""

import asyncio

import pytest

from bench.idle_tills import _tokens
from bench.server_process import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
TILLS = 120


async def _pull_status(port: int, token: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"GET /api/v1/sync/pull HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        return int(head.split(b" ", 2)[1])
    finally:
        writer.close()


async def _burst(port: int, tokens: list[str]) -> list[int]:
    return list(await asyncio.gather(*(_pull_status(port, t) for t in tokens)))


def test_a_burst_of_first_syncs_on_one_worker_is_answered_in_full(pg_url, monkeypatch):
    monkeypatch.delenv("LOYALTY_WORKER_THREADS", raising=False)
    tokens = _tokens(pg_url, TILLS)
    server = ServerProcess(pg_url, workers=1)
    server.start()
    try:
        statuses = asyncio.run(_burst(server.port, tokens))
    finally:
        server.stop()

    assert statuses == [200] * TILLS, sorted(set(statuses))
