"""The request middleware: a request id for every request, one log line when it ends,
and its latency in the metrics.

A sane incoming ``X-Request-ID`` (from a load balancer or the till) is kept so one id
follows the request across systems; anything else is replaced by a fresh one. The id is
echoed in the response, also on a 500, so a user can quote it.
"""

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync_server.observability.logs import request_id
from sync_server.observability.metrics import Metrics

log = logging.getLogger("sync_server.requests")

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# Probes and scrapes every few seconds would drown the log: they log at DEBUG.
_QUIET = ("/health", "/health/ready", "/metrics")


class RequestObserver:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or uuid.uuid4().hex
        # Not reset on the way out: Starlette's outermost error handler logs after this
        # returns and must still see the id; the next request runs in a new task.
        request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                MutableHeaders(scope=message).append(HEADER, rid)
            await send(message)

        log.debug("request started", extra={"fields": _request_fields(scope)})
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not responded:
                await _internal_error(rid, scope, receive, send)
            raise
        finally:
            self._finish(scope, status, time.perf_counter() - started)

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route_template(scope)
        self.metrics.observe_request(scope["method"], route, status, seconds)
        fields = {
            **_request_fields(scope),
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            **_actor_fields(scope),
        }
        level = logging.DEBUG if scope["path"] in _QUIET and status < 500 else logging.INFO
        log.log(level, "request", extra={"fields": fields})


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_ID.fullmatch(text) else None
    return None


def _request_fields(scope: Scope) -> dict[str, Any]:
    # scope["path"] never carries the query string; the query string is never logged.
    return {"method": scope["method"], "path": scope["path"]}


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _actor_fields(scope: Scope) -> dict[str, int]:
    actor = scope.get("state", {}).get("actor")
    if actor is None:
        return {}
    ids = {
        "merchant_id": actor.merchant_id,
        "store_id": actor.store_id,
        "terminal_id": actor.terminal_id,
        "user_id": actor.user_id,
    }
    return {k: v for k, v in ids.items() if v is not None}


async def _internal_error(rid: str, scope: Scope, receive: Receive, send: Send) -> None:
    body = {"code": "INTERNAL_ERROR", "message": "Something went wrong on the server."}
    response = JSONResponse({**body, "detail": {}}, status_code=500, headers={HEADER: rid})
    await response(scope, receive, send)
