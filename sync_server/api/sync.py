"""Terminal endpoints: pairing, push and pull (device-token auth, one store each)."""

import random
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from pydantic_core import to_json
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from common import sync_digest
from common.text import PlainText
from sync_server.actor import StoreActor
from sync_server.api.deps import (
    ActorDep,
    HoldingTerminalDep,
    MetaDep,
    NowDep,
    SessionDep,
    SettingsDep,
)
from sync_server.api.schemas import links
from sync_server.api.schemas.common import error_responses
from sync_server.api.schemas.sync import (
    BucketsResponse,
    PairRequest,
    PairResponse,
    PullResponse,
    PullSettings,
    PullStore,
    PushRequest,
    PushResponse,
)
from sync_server.api.store.views import program_response
from sync_server.errors import ApiError, TooManyAttempts, forbidden
from sync_server.repositories import programs as program_repo
from sync_server.services import attempts, pairing
from sync_server.services.programs import lockout_policy, till_settings
from sync_server.sync import feed_check, pull_digest
from sync_server.sync import pull as pull_service
from sync_server.sync import push as push_service
from sync_server.sync.feed import Answer, ClientGone, Feed, News
from sync_server.sync.offline import offline_policy

T = TypeVar("T")
router = APIRouter(prefix="/api/v1/sync", tags=["sync"])


def require_terminal(actor: ActorDep) -> StoreActor:
    if actor.terminal_id is None:
        raise forbidden("Only a paired terminal may sync.")
    return actor


TerminalDep = Annotated[StoreActor, Depends(require_terminal)]


@router.post("/pair", responses={**error_responses(404, 429), **links.PAIRED})
def pair(body: PairRequest, session: SessionDep, meta: MetaDep, now: NowDep) -> PairResponse:
    """Trade a one-time pairing code for a terminal id and a device token."""
    charges = [(attempts.PAIR_PER_IP, attempts.client_key(meta.ip_address))]
    wait = attempts.wait_needed(session, charges, now)
    if wait is not None:
        raise TooManyAttempts("Too many wrong pairing codes.", wait)
    paired = pairing.redeem_code(session, body.code, body.name, now)
    if paired is None:
        attempts.charge(session, charges, now)
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


@router.post("/push", response_model=PushResponse, responses=error_responses(403, 413))
def push(
    body: PushRequest,
    request: Request,
    actor: TerminalDep,
    session: SessionDep,
    settings: SettingsDep,
    meta: MetaDep,
    now: NowDep,
) -> Response:
    """Apply a batch of operations in seq order, each exactly once.

    The answer is serialized here in one go (exactly PushResponse): the core built it,
    so FastAPI's validating it again field by field before dumping it is skipped."""
    session.commit()  # end the auth transaction: the batch runs in its own
    factory = request.app.state.session_factory
    response = push_service.push(factory, actor, body, meta, settings, now)
    request.app.state.metrics.count_push(response)
    return Response(response.model_dump_json(), media_type="application/json")


@router.get("/pull", response_model=PullResponse, responses=error_responses(403))
def pull(
    actor: TerminalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    cursor: Annotated[PlainText | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=pull_service.MAX_PAGE_ROWS)] = 1000,
    wire: Annotated[pull_service.WireFormat, Query(alias="format")] = "objects",
    digests: bool = False,
) -> Response:
    """Everything changed since the cursor, a page at a time, plus program and settings;
    with ``digests``, the page that ends the round carries the digests of what the till
    should now hold (docs/sync-protocol.md, "Digests").

    Serialized in one go (no response model validation of thousands of rows): the body
    is exactly PullResponse, rows in ``changes`` or, with ``format=columns``, ``tables``."""
    page = pull_service.pull(session, actor, cursor, limit, now)
    found: dict[str, Any] | None = None
    if digests and not page.has_more:
        # Digests take a while: the round's write (last_pull_at) commits first, so no
        # transaction id holds the cluster's pull horizon back meanwhile (docs, "Pull").
        session.commit()
        days = till_settings(session, actor.merchant_id).history_days
        found = pull_digest.round_digests(session, actor, page.hi, now, days)
    program = program_repo.for_merchant(session, actor.merchant_id)
    store = program_repo.store(session, actor.store_id)
    lockout = lockout_policy(session, actor.merchant_id, settings)
    offline = offline_policy(session, actor.merchant_id, settings)
    till = till_settings(session, actor.merchant_id)
    body: dict[str, Any] = {
        "server_time": now,
        "cursor": page.cursor,
        "has_more": page.has_more,
        "reset": page.reset,
        "caught_up": page.caught_up,
        "program": program_response(program).model_dump(mode="json") if program else None,
        "store": PullStore(id=store.id, name=store.name, timezone=store.timezone).model_dump(),
        "qr_key": pull_service.merchant_qr_key(session, actor.merchant_id),
        "settings": PullSettings(
            pin_lockout_attempts=lockout.max_attempts,
            pin_lockout_minutes=lockout.lockout_minutes,
            offline_max_cache_age_minutes=int(offline.max_cache_age.total_seconds() // 60),
            offline_max_redemptions_per_card=offline.max_redemptions_per_card,
            offline_max_points_per_card=offline.max_points_per_card,
            offline_overspend_allowed=offline.allow_overspend,
            staff_session_minutes=till.staff_session_minutes,
            currency=till.currency,
            history_days=till.history_days,
        ).model_dump(),
    }
    if wire == "columns":
        body["tables"] = page.tables
    else:
        body["changes"] = page.changes
    if found is not None:
        body["digests"] = found
    return Response(to_json(body), media_type="application/json")


@router.get("/buckets", response_model=BucketsResponse, responses=error_responses(403, 422))
def buckets(
    request: Request,
    actor: TerminalDep,
    session: SessionDep,
    now: NowDep,
    names: Annotated[PlainText, Query(min_length=1, max_length=4000)],
) -> Response:
    """The current rows of the named buckets (``cards:3,customers:5``), for a till whose
    digest of them differed from the server's, with their digests. Counted in
    ``loyalty_sync_divergence_total``."""
    wanted = pull_digest.parse_names(names)
    if wanted is None:
        raise ApiError(
            "VALIDATION_ERROR",
            "names must be bucket names such as cards:3, separated by commas.",
            known=sorted(sync_digest.ENTITIES),
        )
    days = till_settings(session, actor.merchant_id).history_days
    body = pull_digest.bucket_rows(session, actor, wanted, now, days)
    request.app.state.metrics.count_divergence(wanted)
    return Response(to_json(body), media_type="application/json")


class WaitResponse(BaseModel):
    changed: bool = Field(description="true: pull now; false: nothing new within the timeout")
    poll: bool = Field(default=False, description="no live feed on this server now: poll")


@router.get("/wait", responses=error_responses(403))
async def wait(
    request: Request,
    actor: HoldingTerminalDep,
    now: NowDep,
    cursor: Annotated[PlainText | None, Query(max_length=2000)] = None,
    timeout: Annotated[float, Query(ge=0, le=60)] = 25.0,
) -> WaitResponse:
    """Hold until this till's data may have changed since ``cursor`` (its pull cursor),
    or ``timeout`` seconds pass (the heartbeat). An ``async`` route: a held request
    holds no thread and no database connection."""

    factory = request.app.state.session_factory

    def check() -> News:
        return _in_one_transaction(factory, feed_check.news, actor, cursor, now)

    feed: Feed = request.app.state.feed
    try:
        answer = await feed.wait(
            actor.merchant_id,
            actor.store_id,
            timeout,
            partial(run_in_threadpool, check),
            partial(_disconnected, request),
        )
    except ClientGone:  # nobody reads this answer
        answer = Answer.HEARTBEAT
    return WaitResponse(changed=answer is Answer.CHANGED, poll=answer is Answer.POLL)


_EVENTS = {
    name: f"event: {name}\ndata: {{}}\n\n".encode()
    for name in ("ready", *(answer.value for answer in Answer))
}


@router.get(
    "/stream",
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."},
        **error_responses(403, 422),
    },
    response_class=StreamingResponse,
)
async def stream(
    request: Request,
    actor: HoldingTerminalDep,
    now: NowDep,
    settings: SettingsDep,
    cursor: Annotated[PlainText | None, Query(max_length=2000)] = None,
    heartbeat: Annotated[float, Query(ge=1, le=60)] = 25.0,
) -> StreamingResponse:
    """Server-sent events for one till, held open for about half an hour:
    ``ready``, then ``changed`` whenever this till's data may have changed since
    ``cursor`` (its pull cursor), ``heartbeat`` every ``heartbeat`` seconds (a
    keep-alive: no database call), ``end`` when its time is up (``stream_lifetime_s``:
    make a round, open another) and ``poll`` when this server has no live feed. One
    request and one check per stream per idle till, where a held wait cost both per
    heartbeat."""
    factory = request.app.state.session_factory

    def start() -> tuple[int, News]:
        return _in_one_transaction(factory, feed_check.stream_start, actor, cursor, now)

    async def look(since: int) -> tuple[News, int]:
        return await run_in_threadpool(
            _in_one_transaction, factory, feed_check.news_since, actor, since
        )

    feed: Feed = request.app.state.feed
    first = await run_in_threadpool(start) if feed.live else (0, News.NOTHING)
    # Spread, so a shop's tills do not all come back at once. At the end the till makes
    # a round: its token is checked again, and whatever a lost notification left
    # unannounced comes (a program change has no stamp a check could find).
    lifetime = settings.stream_lifetime_s * random.uniform(0.9, 1.1)  # noqa: S311

    async def events() -> AsyncIterator[bytes]:
        yield _EVENTS["ready"]
        async for answer in feed.stream(
            actor.merchant_id,
            actor.store_id,
            first,
            look,
            partial(_disconnected, request),
            heartbeat,
            lifetime,
        ):
            yield _EVENTS[answer.value]

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _in_one_transaction(factory: Callable[[], Session], look: Callable[..., T], *args: Any) -> T:
    """One short transaction, begun and ended in one thread call: a held request holds
    no pooled connection between its looks."""
    with factory() as session:
        try:
            return look(session, *args)
        finally:
            session.commit()


async def _disconnected(request: Request) -> None:
    """Returns when the client closes the connection (its body was read already)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
