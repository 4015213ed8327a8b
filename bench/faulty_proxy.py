"""An HTTP proxy on 127.0.0.1 that misbehaves on purpose: it drops requests, drops
responses after the server committed, sends requests twice, and delays them."""

import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

STREAM_PATH = "/api/v1/sync/stream"


@dataclass
class Faults:
    drop_request: float = 0.05
    drop_response: float = 0.05
    duplicate: float = 0.05
    delay: float = 0.10
    max_delay_s: float = 0.2


@dataclass
class FaultCounts:
    forwarded: int = 0
    dropped_requests: int = 0
    dropped_responses: int = 0
    duplicated: int = 0
    delayed: int = 0
    upstream_down: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


class FaultyProxy:
    def __init__(self, upstream: str, faults: Faults, seed: int = 0) -> None:
        self.upstream = upstream
        self.faults = faults
        self.counts = FaultCounts()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FaultyProxy":
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def roll(self, chance: float) -> bool:
        with self._rng_lock:
            return self._rng.random() < chance

    def delay(self) -> float:
        with self._rng_lock:
            return self._rng.uniform(0, self.faults.max_delay_s)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.startswith(STREAM_PATH):
                    self._relay_stream()
                else:
                    self._relay()

            def do_POST(self) -> None:
                self._relay()

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if proxy.roll(proxy.faults.drop_request):
                    proxy.counts.add("dropped_requests")
                    self.close_connection = True
                    return
                if proxy.roll(proxy.faults.delay):
                    proxy.counts.add("delayed")
                    threading.Event().wait(proxy.delay())
                twice = proxy.roll(proxy.faults.duplicate)
                response = self._forward(body)
                if twice:
                    proxy.counts.add("duplicated")
                    again = self._forward(body)
                    response = response if response is not None else again
                if response is None:
                    proxy.counts.add("upstream_down")
                    self._reply(502, b'{"code":"UPSTREAM_DOWN"}', "application/json")
                    return
                if proxy.roll(proxy.faults.drop_response):
                    proxy.counts.add("dropped_responses")
                    self.close_connection = True
                    return
                proxy.counts.add("forwarded")
                self._reply(
                    response.status_code, response.content, response.headers.get("content-type", "")
                )

            def _relay_stream(self) -> None:
                """A live-feed stream, relayed as it comes: dropped before it reaches the
                server, delayed, or cut after its first bytes (a lost announcement)."""
                self.close_connection = True  # the body ends when the connection does
                if proxy.roll(proxy.faults.drop_request):
                    proxy.counts.add("dropped_requests")
                    return
                if proxy.roll(proxy.faults.delay):
                    proxy.counts.add("delayed")
                    threading.Event().wait(proxy.delay())
                cut = proxy.roll(proxy.faults.drop_response)
                timeout = httpx.Timeout(10.0, read=None)
                try:
                    with httpx.stream(
                        "GET", proxy.upstream + self.path, headers=self._headers(), timeout=timeout
                    ) as upstream:
                        self.send_response(upstream.status_code)
                        self.send_header("Content-Type", upstream.headers.get("content-type", ""))
                        self.end_headers()
                        proxy.counts.add("dropped_responses" if cut else "forwarded")
                        for chunk in upstream.iter_raw():
                            self.wfile.write(chunk)
                            self.wfile.flush()
                            if cut:
                                return
                except httpx.HTTPError:
                    proxy.counts.add("upstream_down")
                except OSError:  # the till went away
                    return

            def _headers(self) -> dict[str, str]:
                return {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type", "loyalty-protocol")
                }

            def _forward(self, body: bytes) -> httpx.Response | None:
                headers = self._headers()
                try:
                    return httpx.request(
                        self.command,
                        proxy.upstream + self.path,
                        content=body,
                        headers=headers,
                        timeout=30,
                    )
                except httpx.HTTPError:
                    return None

            def _reply(self, status: int, content: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        return Handler
