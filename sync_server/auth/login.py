"""Login: email + password for one store the user may act for."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_server.actor import Role
from sync_server.auth.passwords import verify_password
from sync_server.auth.tokens import IssuedToken, issue
from sync_server.models import Store, User


class LoginRefused(Exception):
    """Wrong email or password, or a store the user may not act for (one message for all)."""


def login(
    session: Session, email: str, password: str, store_id: int | None, now: datetime, ttl: timedelta
) -> tuple[User, Store, IssuedToken]:
    user = session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).one_or_none()
    if not verify_password(user.password_hash if user else None, password):
        raise LoginRefused
    assert user is not None
    if not user.is_active:
        raise LoginRefused
    store = _store_for(session, user, store_id)
    if store is None:
        raise LoginRefused
    return user, store, issue(session, user, store.id, now, ttl)


def _store_for(session: Session, user: User, store_id: int | None) -> Store | None:
    if user.role == Role.STORE_MANAGER:
        store_id = store_id or user.store_id
        if store_id != user.store_id:
            return None
    stores = session.scalars(
        select(Store).where(Store.merchant_id == user.merchant_id).order_by(Store.id)
    ).all()
    if store_id is None:
        return stores[0] if stores else None
    return next((s for s in stores if s.id == store_id), None)
