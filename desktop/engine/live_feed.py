"""The live feed, till side: one held GET /api/v1/sync/wait at a time.

The request runs on an asyncio loop in a thread of its own, so the sync thread can
drop it the instant a cashier's op has to go out (cancelling the task closes its
connection, and the server forgets the waiter). A connection that dies without a FIN
is noticed by the read timeout: the heartbeat plus ``MARGIN_S``.
"""

import asyncio
import concurrent.futures
import threading
from enum import Enum
from typing import Any

import httpx

from common import protocol

WAIT_PATH = "/api/v1/sync/wait"
# The server answers "nothing new" after the heartbeat; an answer this much later means
# the connection is dead (a NAT or proxy forgot it, the server host vanished).
MARGIN_S = 5.0


class Heard(Enum):
    CHANGED = "changed"  # pull now
    HEARTBEAT = "heartbeat"  # nothing new within the heartbeat
    POLL = "poll"  # this server has no live feed (SQLite, an older release, stopping)
    FAILED = "failed"  # no answer, or an error: fall back to a round and polling


class LiveFeed:
    """Args:
    transport: the asynchronous HTTP transport (tests pass a fake or a proxy's).
    """

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.AsyncClient | None = None
        self._http_for: tuple[str, str] | None = None

    def hold(
        self, base: str, token: str, cursor: str | None, heartbeat: float
    ) -> "concurrent.futures.Future[Heard]":
        """Start one held request; ``cancel()`` on the future drops it at once."""
        loop = self._running_loop()
        return asyncio.run_coroutine_threadsafe(self._wait(base, token, cursor, heartbeat), loop)

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close_client(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = None

    async def _wait(self, base: str, token: str, cursor: str | None, heartbeat: float) -> Heard:
        params: dict[str, Any] = {"timeout": heartbeat}
        if cursor:
            params["cursor"] = cursor
        timeout = httpx.Timeout(10.0, read=heartbeat + MARGIN_S)
        try:
            http = await self._client(base, token)
            response = await http.get(WAIT_PATH, params=params, timeout=timeout)
        except httpx.HTTPError:
            return Heard.FAILED
        if response.status_code == 404:  # a server released before the feed
            return Heard.POLL
        if response.status_code != 200:  # 401, 426...: the next round says what it means
            return Heard.FAILED
        try:
            body = response.json()
        except ValueError:
            return Heard.FAILED
        if not isinstance(body, dict) or body.get("poll") is True:
            return Heard.POLL if isinstance(body, dict) else Heard.FAILED
        return Heard.CHANGED if body.get("changed") is True else Heard.HEARTBEAT

    async def _client(self, base: str, token: str) -> httpx.AsyncClient:
        if self._http is None or self._http_for != (base, token):
            await self._close_client()
            self._http = httpx.AsyncClient(
                base_url=base,
                headers={"Authorization": f"Bearer {token}", **protocol.till_headers()},
                transport=self._transport,
            )
            self._http_for = (base, token)
        return self._http

    async def _close_client(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, name="feed", daemon=True)
            self._thread.start()
            self._loop = loop
        return self._loop
