"""Typed dependencies: the session (committed at the request boundary) and the actor."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sync_server.actor import RequestMeta, StoreActor
from sync_server.auth import tokens
from sync_server.config import Settings
from sync_server.db import session_scope
from sync_server.errors import ApiError, forbidden
from sync_server.wallet.edges import WalletEdges

bearer = HTTPBearer(auto_error=False)


def get_session(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.session_factory)


# scope="function": commit before the response is sent, so a client never reads an
# answer whose effect could still roll back.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_wallet_edges(request: Request) -> WalletEdges:
    edges: WalletEdges = request.app.state.wallet_edges
    return edges


# Tests replace app.state.wallet_edges with local fakes of Apple and Google.
WalletEdgesDep = Annotated[WalletEdges, Depends(get_wallet_edges)]


def get_now() -> datetime:
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(get_now)]


def get_actor(
    request: Request,
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StoreActor:
    if credentials is None:
        raise ApiError("UNAUTHORIZED", "A bearer token is required.")
    actor = tokens.resolve(session, credentials.credentials, now)
    if actor is None:
        raise ApiError("UNAUTHORIZED", "The token is invalid, expired or revoked.")
    request.state.actor = actor  # its ids go on the request's log line
    return actor


ActorDep = Annotated[StoreActor, Depends(get_actor)]


def get_holding_terminal(
    request: Request,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StoreActor:
    """The till of a held request, authenticated in a transaction that begins and ends
    in this one worker-thread call. A held request must hold no database connection
    while it waits, for a change or for a thread: with the auth transaction left open
    across the wait, a few hundred held requests kept the pool's connections while the
    threads that could release them waited for one."""
    if credentials is None:
        raise ApiError("UNAUTHORIZED", "A bearer token is required.")
    with request.app.state.session_factory() as session:
        actor = tokens.resolve(session, credentials.credentials, now)
        session.commit()
    if actor is None:
        raise ApiError("UNAUTHORIZED", "The token is invalid, expired or revoked.")
    if actor.terminal_id is None:
        raise forbidden("Only a paired terminal may sync.")
    request.state.actor = actor
    return actor


HoldingTerminalDep = Annotated[StoreActor, Depends(get_holding_terminal)]


def require_owner(actor: ActorDep) -> StoreActor:
    if not actor.is_owner:
        raise forbidden("Only the merchant owner may do this.")
    return actor


OwnerDep = Annotated[StoreActor, Depends(require_owner)]


def require_person(actor: ActorDep) -> StoreActor:
    """Staff management needs a person's login (owner or store manager), not a till."""
    if not actor.is_person:
        raise forbidden("A manager login is required.")
    return actor


PersonDep = Annotated[StoreActor, Depends(require_person)]


def get_meta(request: Request) -> RequestMeta:
    return RequestMeta(
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


MetaDep = Annotated[RequestMeta, Depends(get_meta)]
