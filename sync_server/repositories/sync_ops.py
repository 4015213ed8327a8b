"""Pushed operations: the claim that makes each (terminal, op_id) apply exactly once."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync_server.models.sync import PinFailureEvent, SyncOp


def _insert_returning_id(session: Session, model: Any, values: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: None when the key is taken.

    On PostgreSQL a concurrent insert of the same key waits for the first transaction:
    if it commits, this one sees the conflict; if it rolls back, this one claims it."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values).on_conflict_do_nothing().returning(model.id)
    found = session.execute(stmt).scalar_one_or_none()
    return int(found) if found is not None else None


def claim(session: Session, values: dict[str, Any]) -> SyncOp | None:
    row_id = _insert_returning_id(session, SyncOp, values)
    return session.get_one(SyncOp, row_id) if row_id is not None else None


def by_op_id(session: Session, terminal_id: int, op_id: str) -> SyncOp | None:
    stmt = select(SyncOp).where(SyncOp.terminal_id == terminal_id, SyncOp.op_id == op_id)
    return session.scalars(stmt).one_or_none()


def offline_redemptions_since(
    session: Session, terminal_id: int, card_number: str, since: datetime
) -> tuple[int, int]:
    """(count, points) of this till's offline redemptions on a card since a moment."""
    count, points = session.execute(
        select(func.count(SyncOp.id), func.coalesce(func.sum(SyncOp.redeemed_points), 0)).where(
            SyncOp.terminal_id == terminal_id,
            SyncOp.card_number == card_number,
            SyncOp.offline.is_(True),
            SyncOp.redeemed_points.is_not(None),
            SyncOp.status == "applied",
            SyncOp.effective_time >= since,
        )
    ).one()
    return int(count), int(points or 0)


def claim_pin_failure(session: Session, values: dict[str, Any]) -> bool:
    return _insert_returning_id(session, PinFailureEvent, values) is not None


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


def get_for_merchant(session: Session, merchant_id: int, sync_op_id: int) -> SyncOp | None:
    stmt = select(SyncOp).where(SyncOp.merchant_id == merchant_id, SyncOp.id == sync_op_id)
    return session.scalars(stmt).one_or_none()
