"""Login for owners and store managers; the token acts for one store."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials

from sync_server.api.deps import ActorDep, MetaDep, NowDep, SessionDep, SettingsDep, bearer
from sync_server.api.schemas.auth import LoginRequest, LoginResponse, MeResponse
from sync_server.api.schemas.common import error_responses
from sync_server.auth import tokens
from sync_server.auth.login import LoginRefused, login
from sync_server.errors import ApiError, TooManyAttempts
from sync_server.services import attempts

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", responses=error_responses(429))
def post_login(
    body: LoginRequest, session: SessionDep, settings: SettingsDep, meta: MetaDep, now: NowDep
) -> LoginResponse:
    """Email + password (+ the store to act for; an owner's first store by default).

    Wrong attempts are budgeted per client IP and per account before the password is
    even checked, so a guesser is refused at the same speed, right password or not."""
    account = attempts.account_key(body.email)
    charges = [
        (attempts.LOGIN_PER_IP, attempts.client_key(meta.ip_address)),
        (attempts.LOGIN_PER_ACCOUNT, account),
    ]
    wait = attempts.wait_needed(session, charges, now)
    if wait is not None:
        raise TooManyAttempts("Too many failed logins.", wait)
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
        attempts.charge(session, charges, now)
        session.commit()  # the failure must count even though the request is refused
        raise ApiError("UNAUTHORIZED", "Wrong email, password or store.") from exc
    attempts.forgive(session, attempts.LOGIN_PER_ACCOUNT, account)
    return LoginResponse(
        access_token=issued.token,
        expires_at=issued.expires_at,
        store_id=store.id,
        merchant_id=user.merchant_id,
        role=user.role,
    )


@router.post("/logout", status_code=204, responses=error_responses(403))
def post_logout(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """Revoke the login token of this request.

    A till's device token is not a login: it is refused here (NOT_A_LOGIN) rather than
    answered 204 while it keeps working; an owner revokes a till from the terminals."""
    assert credentials is not None  # get_actor already required it
    if actor.terminal_id is not None:
        raise ApiError(
            "NOT_A_LOGIN",
            "A till's device token cannot log out: the owner revokes the till instead.",
        )
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
