"""Creating merchants, stores and people: used by the admin CLI and the demo."""

import secrets

from sqlalchemy.orm import Session

from sync_server.actor import Role
from sync_server.auth.passwords import hash_password
from sync_server.models import Merchant, Store, User


def create_merchant(session: Session, name: str) -> Merchant:
    merchant = Merchant(name=name, qr_key=secrets.token_hex(32))
    session.add(merchant)
    session.flush()
    return merchant


def create_store(session: Session, merchant_id: int, name: str, timezone: str = "UTC") -> Store:
    store = Store(merchant_id=merchant_id, name=name, timezone=timezone, anonymous_pin_failures=0)
    session.add(store)
    session.flush()
    return store


def create_user(
    session: Session,
    merchant_id: int,
    email: str,
    password: str,
    role: Role = Role.MERCHANT_OWNER,
    store_id: int | None = None,
) -> User:
    if role is Role.TERMINAL:
        raise ValueError("terminals pair with a code; they have no password")
    if role is Role.STORE_MANAGER and store_id is None:
        raise ValueError("a store manager belongs to one store")
    user = User(
        merchant_id=merchant_id,
        store_id=store_id,
        email=email.strip().lower(),
        password_hash=hash_password(password),
        role=role.value,
    )
    session.add(user)
    session.flush()
    return user
