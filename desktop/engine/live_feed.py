"""The live feed, till side: one stream of server-sent events (GET /api/v1/sync/stream)
open at a time, read on an asyncio loop in a thread of its own; each ``changed`` calls
back into the sync thread, which makes a round while the stream stays open. A
connection that dies without a FIN is noticed by the read timeout: the heartbeat plus
``MARGIN_S``.
"""

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from enum import Enum
from typing import Any

import httpx

from common import protocol

STREAM_PATH = "/api/v1/sync/stream"
# The server sends a heartbeat event this often; nothing for this much longer means the
# connection is dead (a NAT or proxy forgot it, the server host vanished).
MARGIN_S = 5.0


class Heard(Enum):
    """How a stream ended."""

    END = "end"  # its time was up: make a round, then open another
    POLL = "poll"  # this server has no live feed (SQLite, an older release, stopping)
    FAILED = "failed"  # no answer, an error, or silence: fall back to a round and polling


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

    def listen(
        self,
        base: str,
        token: str,
        cursor: str | None,
        heartbeat: float,
        changed: Callable[[], None],
    ) -> "concurrent.futures.Future[Heard]":
        """Open the stream: ``changed`` is called (on the feed's thread) for each change
        announced; the future says how the stream ended. ``cancel()`` drops it."""
        loop = self._running_loop()
        return asyncio.run_coroutine_threadsafe(
            self._listen(base, token, cursor, heartbeat, changed), loop
        )

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close_client(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = None

    async def _listen(
        self,
        base: str,
        token: str,
        cursor: str | None,
        heartbeat: float,
        changed: Callable[[], None],
    ) -> Heard:
        params: dict[str, Any] = {"heartbeat": heartbeat}
        if cursor:
            params["cursor"] = cursor
        timeout = httpx.Timeout(10.0, read=heartbeat + MARGIN_S)
        try:
            http = await self._client(base, token)
            async with http.stream("GET", STREAM_PATH, params=params, timeout=timeout) as answer:
                if answer.status_code == 404:  # a server released before the stream
                    return Heard.POLL
                if answer.status_code != 200:  # 401, 426...: the next round says what
                    return Heard.FAILED
                async for line in answer.aiter_lines():
                    event = line.removeprefix("event: ") if line.startswith("event: ") else ""
                    if event == "changed":
                        changed()
                    elif event in ("end", "poll"):
                        return Heard(event)
        except httpx.HTTPError:
            return Heard.FAILED
        return Heard.FAILED  # closed without a word: a server killed, a proxy's cut

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
