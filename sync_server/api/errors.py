"""One renderer for every error: ``{"code", "message", "detail"}`` with a stable code."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.outcome import Rejected
from sync_server.config import Settings
from sync_server.errors import ApiError, status_for

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
}


def error_body(code: str, message: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail or {}}


def rejection_response(rejected: Rejected) -> JSONResponse:
    """A rule's refusal, returned (not raised) so what it recorded, e.g. a failed PIN
    attempt, is committed with the request."""
    return JSONResponse(
        error_body(rejected.code, rejected.message, rejected.detail),
        status_code=status_for(rejected.code),
    )


def install_error_handlers(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body("VALIDATION_ERROR", "The request is not valid.", {"errors": errors}),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(SQLAlchemyTimeout)
    async def _busy(request: Request, exc: SQLAlchemyTimeout) -> JSONResponse:
        """Every database connection of this process is in use (a burst of first syncs,
        a slow database): a verdict the till retries, not a 500."""
        log.warning("no database connection free for %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("SERVER_BUSY", "The server is busy: try again in a moment."),
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> JSONResponse:
        """The database does not answer (down, restarting, failing over)."""
        log.warning(
            "database unavailable for %s %s: %s", request.method, request.url.path, exc.orig
        )
        return JSONResponse(
            error_body("DATABASE_UNAVAILABLE", "The database is not answering: try again soon."),
            status_code=503,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("INTERNAL_ERROR", "Something went wrong on the server."), status_code=500
        )


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Starlette's 405 names the methods of the first route matching the path only;
    a path served by several routes (GET and PUT /program) deserves all of them."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": "__none__"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


class BodyLimit:
    """Refuse bodies over the limit with 413, whether Content-Length says so or not."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(
            error_body("BODY_TOO_LARGE", f"The request body exceeds {self.max_bytes} bytes."),
            status_code=413,
        )
        await response({"type": "http"}, _no_receive, send)


class _TooLarge(BaseException):
    pass


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
