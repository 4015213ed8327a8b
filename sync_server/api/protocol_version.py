"""The first check of every request: can the server speak the till's protocol version?

Outermost middleware, so a till too old or too new hears 426 before authentication,
validation or the body limit could answer with something it may not understand."""

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from common import protocol
from sync_server.api.errors import error_body

SYNC_PREFIX = "/api/v1/sync/"


class ProtocolVersionGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = _header(scope, protocol.HEADER.lower().encode())
        declared = None if raw is None else raw.decode("latin-1")
        verdict = protocol.judge(declared, sync_path=scope["path"].startswith(SYNC_PREFIX))
        if verdict is None or verdict.supported:
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            error_body(
                "PROTOCOL_UNSUPPORTED",
                "This till needs an update: the server does not speak its sync protocol.",
                {
                    "received": verdict.version,
                    "oldest": protocol.OLDEST,
                    "newest": protocol.NEWEST,
                },
            ),
            status_code=426,
            headers={
                protocol.HEADER: f"{protocol.OLDEST}-{protocol.NEWEST}",
                "Upgrade": f"{protocol.HEADER}/{protocol.NEWEST}",
                "Connection": "Upgrade",
            },
        )
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None
