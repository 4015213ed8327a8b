"""Opaque bearer tokens: 256 random bits to the client, only the SHA-256 stored."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.actor import Role, StoreActor
from sync_server.models import ApiToken, Store, User
from sync_server.models.sync import Terminal


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue(
    session: Session, user: User, store_id: int, now: datetime, ttl: timedelta
) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            token_hash=digest(token),
            user_id=user.id,
            store_id=store_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return IssuedToken(token=token, expires_at=now + ttl)


def resolve(session: Session, token: str, now: datetime) -> StoreActor | None:
    """A person's login token, else a terminal's device token; None if neither is live."""
    return _person(session, token, now) or _terminal(session, token, now)


def _terminal(session: Session, token: str, now: datetime) -> StoreActor | None:
    terminal = session.scalars(
        select(Terminal).where(Terminal.token_hash == digest(token))
    ).one_or_none()
    if terminal is None or terminal.revoked_at is not None:
        return None
    if terminal.last_seen_at is None or now - terminal.last_seen_at > timedelta(minutes=1):
        terminal.last_seen_at = now
    return StoreActor(
        merchant_id=terminal.merchant_id,
        store_id=terminal.store_id,
        role=Role.TERMINAL,
        terminal_id=terminal.id,
    )


def _person(session: Session, token: str, now: datetime) -> StoreActor | None:
    row = session.execute(
        select(ApiToken, User, Store)
        .join(User, User.id == ApiToken.user_id)
        .join(Store, Store.id == ApiToken.store_id)
        .where(ApiToken.token_hash == digest(token))
    ).one_or_none()
    if row is None:
        return None
    api_token, user, store = row
    if api_token.revoked_at is not None or api_token.expires_at <= now or not user.is_active:
        return None
    if store.merchant_id != user.merchant_id:
        return None
    return StoreActor(
        merchant_id=user.merchant_id, store_id=store.id, role=Role(user.role), user_id=user.id
    )


def revoke(session: Session, token: str, now: datetime) -> None:
    api_token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest(token))
    ).one_or_none()
    if api_token is not None and api_token.revoked_at is None:
        api_token.revoked_at = now
