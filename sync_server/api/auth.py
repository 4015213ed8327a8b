"""Login for owners and store managers; the token acts for one store."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials

from sync_server.api.deps import ActorDep, NowDep, SessionDep, SettingsDep, bearer
from sync_server.api.schemas.auth import LoginRequest, LoginResponse, MeResponse
from sync_server.api.schemas.common import error_responses
from sync_server.auth import tokens
from sync_server.auth.login import LoginRefused, login
from sync_server.errors import ApiError

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", responses=error_responses())
def post_login(
    body: LoginRequest, session: SessionDep, settings: SettingsDep, now: NowDep
) -> LoginResponse:
    """Email + password (+ the store to act for; an owner's first store by default)."""
    try:
        user, store, issued = login(
            session,
            body.email,
            body.password,
            body.store_id,
            now,
            timedelta(hours=settings.token_ttl_hours),
        )
    except LoginRefused as exc:
        raise ApiError("UNAUTHORIZED", "Wrong email, password or store.") from exc
    return LoginResponse(
        access_token=issued.token,
        expires_at=issued.expires_at,
        store_id=store.id,
        merchant_id=user.merchant_id,
        role=user.role,
    )


@router.post("/logout", status_code=204, responses=error_responses())
def post_logout(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """Revoke the token of this request."""
    assert credentials is not None  # get_actor already required it
    tokens.revoke(session, credentials.credentials, now)
    return Response(status_code=204)


@router.get("/me", responses=error_responses())
def get_me(actor: ActorDep) -> MeResponse:
    """Who this token acts as."""
    return MeResponse(
        merchant_id=actor.merchant_id,
        store_id=actor.store_id,
        role=actor.role.value,
        user_id=actor.user_id,
    )
