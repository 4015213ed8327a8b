"""Terminal endpoints: pairing, push and pull (device-token auth, one store each)."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sync_server import pull as pull_service
from sync_server import sync as push_service
from sync_server.actor import StoreActor
from sync_server.api.deps import ActorDep, MetaDep, NowDep, SessionDep, SettingsDep
from sync_server.api.schemas.common import error_responses
from sync_server.api.schemas.sync import (
    PairRequest,
    PairResponse,
    PullResponse,
    PullSettings,
    PullStore,
    PushRequest,
    PushResponse,
)
from sync_server.api.store.views import program_response
from sync_server.errors import ApiError, forbidden
from sync_server.offline import offline_policy
from sync_server.repositories import programs as program_repo
from sync_server.services import pairing, throttle
from sync_server.services.programs import lockout_policy

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

PAIRING_FAILURES_ALLOWED = 10
PAIRING_WINDOW = timedelta(minutes=15)


def require_terminal(actor: ActorDep) -> StoreActor:
    if actor.terminal_id is None:
        raise forbidden("Only a paired terminal may sync.")
    return actor


TerminalDep = Annotated[StoreActor, Depends(require_terminal)]


@router.post("/pair", responses=error_responses(404, 429))
def pair(body: PairRequest, session: SessionDep, meta: MetaDep, now: NowDep) -> PairResponse:
    """Trade a one-time pairing code for a terminal id and a device token."""
    key = f"pair:{meta.ip_address}"
    if throttle.is_blocked(session, key, PAIRING_FAILURES_ALLOWED, PAIRING_WINDOW, now):
        raise ApiError("TOO_MANY_ATTEMPTS", "Too many wrong pairing codes; wait a while.")
    paired = pairing.redeem_code(session, body.code, body.name, now)
    if paired is None:
        throttle.count_failure(session, key, PAIRING_WINDOW, now)
        session.commit()  # the failure must count even though the request is refused
        raise ApiError("PAIRING_CODE_INVALID", "This pairing code is wrong, used or expired.")
    terminal = paired.terminal
    return PairResponse(
        terminal_id=terminal.id,
        device_token=paired.device_token,
        merchant_id=terminal.merchant_id,
        store_id=terminal.store_id,
        card_node=paired.card_node,
    )


@router.post("/push", responses=error_responses(403, 413))
def push(
    body: PushRequest,
    request: Request,
    actor: TerminalDep,
    session: SessionDep,
    settings: SettingsDep,
    meta: MetaDep,
    now: NowDep,
) -> PushResponse:
    """Apply a batch of operations in seq order, each exactly once."""
    session.commit()  # end the auth transaction: each op now runs in its own
    factory = request.app.state.session_factory
    return push_service.push(factory, actor, body, meta, settings, now)


@router.get("/pull", responses=error_responses(403))
def pull(
    actor: TerminalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> PullResponse:
    """Everything changed since the cursor, a page at a time, plus program and settings."""
    page = pull_service.pull(session, actor, cursor, limit, now)
    program = program_repo.for_merchant(session, actor.merchant_id)
    store = program_repo.store(session, actor.store_id)
    lockout = lockout_policy(session, actor.merchant_id, settings)
    offline = offline_policy(session, actor.merchant_id, settings)
    return PullResponse(
        server_time=now,
        cursor=page.cursor,
        has_more=page.has_more,
        reset=page.reset,
        caught_up=page.caught_up,
        program=program_response(program).model_dump(mode="json") if program else None,
        store=PullStore(id=store.id, name=store.name, timezone=store.timezone),
        qr_key=pull_service.merchant_qr_key(session, actor.merchant_id),
        settings=PullSettings(
            pin_lockout_attempts=lockout.max_attempts,
            pin_lockout_minutes=lockout.lockout_minutes,
            offline_max_cache_age_minutes=int(offline.max_cache_age.total_seconds() // 60),
            offline_max_redemptions_per_card=offline.max_redemptions_per_card,
            offline_max_points_per_card=offline.max_points_per_card,
            offline_overspend_allowed=offline.allow_overspend,
        ),
        changes=page.changes,
    )
