"""Staff PINs of a store (deleted ones are invisible) and the store's anonymous lock."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.models import StaffPin, Store


def _visible(store_id: int):  # type: ignore[no-untyped-def]
    return select(StaffPin).where(StaffPin.store_id == store_id, StaffPin.deleted_at.is_(None))


def list_for_store(session: Session, store_id: int) -> Sequence[StaffPin]:
    return session.scalars(_visible(store_id).order_by(StaffPin.name, StaffPin.id)).all()


def get(session: Session, store_id: int, pin_id: int) -> StaffPin | None:
    """A PIN of another store is 'not found', never 'forbidden'."""
    return session.scalars(_visible(store_id).where(StaffPin.id == pin_id)).one_or_none()


def lock(session: Session, store_id: int, pin_id: int) -> StaffPin | None:
    stmt = (
        _visible(store_id)
        .where(StaffPin.id == pin_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one_or_none()


def active_for_store(session: Session, store_id: int) -> Sequence[StaffPin]:
    return session.scalars(_visible(store_id).where(StaffPin.is_active.is_(True))).all()


def lock_store(session: Session, store_id: int) -> Store:
    stmt = (
        select(Store)
        .where(Store.id == store_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one()


def names_by_ids(session: Session, ids: set[int]) -> dict[int, str]:
    """Names for ledger display, deleted PINs included."""
    if not ids:
        return {}
    rows = session.execute(select(StaffPin.id, StaffPin.name).where(StaffPin.id.in_(ids)))
    return {pin_id: name for pin_id, name in rows}
