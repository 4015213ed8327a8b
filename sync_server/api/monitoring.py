"""Probes and metrics for the load balancer, the orchestrator and Prometheus."""

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from common import protocol
from common.version import VERSION
from sync_server.api.errors import error_body
from sync_server.api.schemas.common import ErrorResponse, error_responses
from sync_server.api.schemas.monitoring import Health
from sync_server.config import Settings
from sync_server.errors import ApiError
from sync_server.observability import readiness
from sync_server.observability.metrics import Metrics

router = APIRouter(tags=["monitoring"])


@router.get("/health")
def health() -> Health:
    """Liveness: the process answers, and which release it runs. No database call, so
    a database outage does not make an orchestrator restart every healthy process."""
    return Health(
        status="ok",
        version=VERSION,
        protocol_oldest=protocol.OLDEST,
        protocol_newest=protocol.NEWEST,
    )


@router.get("/health/ready", responses={503: {"model": ErrorResponse}})
def ready(request: Request) -> Any:
    """Readiness: the database answers a query and its schema fits this code."""
    state = readiness.check(request.app.state.engine)
    if not state.ready:
        return JSONResponse(error_body(state.code, state.message, state.detail), status_code=503)
    return {"status": "ready", "detail": state.detail}


@router.get("/metrics", include_in_schema=False, responses=error_responses(401))
def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    settings: Settings = request.app.state.settings
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.get_secret_value()}"
        if not hmac.compare_digest((authorization or "").encode(), expected.encode()):
            raise ApiError("UNAUTHORIZED", "A metrics token is required.")
    registry: Metrics = request.app.state.metrics
    return Response(registry.exposition(), media_type=CONTENT_TYPE_LATEST)
