"""Pushed operations' records: offline-limit counts, PIN-failure events, attention.

The claims of (terminal, op_id) are made in bulk in repositories/push_bulk.py."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sync_server.models import User
from sync_server.models.sync import PinFailureEvent, SyncOp
from sync_server.repositories.upsert import insert_ignore


def offline_redemptions_since(
    session: Session, terminal_id: int, card_number: str, since: datetime, received_after: datetime
) -> tuple[int, int]:
    """(count, points) of this till's offline redemptions on a card made since a moment
    or received after another (whatever time the till claims for them)."""
    count, points = session.execute(
        select(func.count(SyncOp.id), func.coalesce(func.sum(SyncOp.redeemed_points), 0)).where(
            SyncOp.terminal_id == terminal_id,
            SyncOp.card_number == card_number,
            SyncOp.offline.is_(True),
            SyncOp.redeemed_points.is_not(None),
            SyncOp.status == "applied",
            or_(SyncOp.effective_time >= since, SyncOp.received_at > received_after),
        )
    ).one()
    return int(count), int(points or 0)


def claim_pin_failure(session: Session, values: dict[str, Any]) -> bool:
    """True the first time an event id is seen (a concurrent duplicate waits, then sees it)."""
    return insert_ignore(session, PinFailureEvent, values)


def needing_attention(
    session: Session, merchant_id: int, store_id: int | None, include_acknowledged: bool
) -> Sequence[SyncOp]:
    """Rejected ops, and applied ones the server flagged (an offline over-spend)."""
    stmt = select(SyncOp).where(SyncOp.merchant_id == merchant_id, SyncOp.code.is_not(None))
    if store_id is not None:
        stmt = stmt.where(SyncOp.store_id == store_id)
    if not include_acknowledged:
        stmt = stmt.where(SyncOp.acknowledged_at.is_(None))
    return session.scalars(stmt.order_by(SyncOp.id.desc()).limit(500)).all()


def lock_for_merchant(session: Session, merchant_id: int, sync_op_id: int) -> SyncOp | None:
    stmt = (
        select(SyncOp)
        .where(SyncOp.merchant_id == merchant_id, SyncOp.id == sync_op_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one_or_none()


def card_number_of(session: Session, merchant_id: int, sync_op_id: int) -> str | None:
    """The card an attention item names (unlocked: the caller locks the card first)."""
    return session.scalar(
        select(SyncOp.card_number).where(
            SyncOp.merchant_id == merchant_id, SyncOp.id == sync_op_id, SyncOp.code.is_not(None)
        )
    )


def email_of(session: Session, user_id: int | None) -> str | None:
    """Who acknowledged through the API (an owner's or manager's login)."""
    return session.scalar(select(User.email).where(User.id == user_id)) if user_id else None


def lock_own_attention_item(session: Session, terminal_id: int, op_id: str) -> SyncOp | None:
    """An op this till pushed that is on the attention list, locked: two
    acknowledgements (a till's push, the owner's API) keep the first one's name."""
    stmt = (
        select(SyncOp)
        .where(SyncOp.terminal_id == terminal_id, SyncOp.op_id == op_id, SyncOp.code.is_not(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one_or_none()
