"""The merchant's program and settings."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.models import MerchantSettings, Program, Store
from sync_server.repositories.upsert import insert_ignore


def for_merchant(session: Session, merchant_id: int) -> Program | None:
    return session.scalars(select(Program).where(Program.merchant_id == merchant_id)).one_or_none()


def store(session: Session, store_id: int) -> Store:
    return session.get_one(Store, store_id)


def settings(session: Session, merchant_id: int) -> MerchantSettings:
    """The merchant's overrides; an unsaved all-defaults row when there are none, so a
    read never writes (a pull must not take a transaction id)."""
    return session.get(MerchantSettings, merchant_id) or MerchantSettings(merchant_id=merchant_id)


def settings_for_update(session: Session, merchant_id: int) -> MerchantSettings:
    """Get-or-create, safe when two requests create it at once."""
    found = session.get(MerchantSettings, merchant_id)
    if found is None:
        insert_ignore(session, MerchantSettings, {"merchant_id": merchant_id})
        found = session.get_one(MerchantSettings, merchant_id)
    return found
