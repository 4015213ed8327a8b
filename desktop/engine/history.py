"""A card's and the store's recent activity as the till knows it: the pulled ledger of
this store, then this till's own ops with where each stands (waiting to sync,
applied, refused). Voids are picked from here."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from common.ledger import TransactionType
from common.operations import AcknowledgeAttention, EarnPoints, ResolveAttention
from desktop.engine.local_store import LocalStore, OutboxEntry

_OP_KIND = {
    "stamp.add": TransactionType.STAMP_EARNED,
    "stamp.redeem": TransactionType.STAMP_REDEEMED,
    "stamp.void": TransactionType.STAMP_VOIDED,
    "points.earn": TransactionType.POINTS_EARNED,
    "points.redeem": TransactionType.POINTS_REDEEMED,
    "points.void": TransactionType.POINTS_VOIDED,
    "points.adjust": TransactionType.POINTS_ADJUSTMENT,
    "card.enroll": TransactionType.CARD_CREATED,
    "card.deactivate": TransactionType.CARD_DEACTIVATED,
    "card.reactivate": TransactionType.CARD_REACTIVATED,
}


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """``transaction_id``: the server's id (voidable by id); None for an op of this till
    not yet pulled back. ``status``: "synced", "pending", "applied", "rejected"."""

    at: datetime
    card_number: str
    kind: TransactionType
    stamps_delta: int | None
    points_delta: int | None
    order_reference: str | None
    transaction_id: int | None
    status: str
    reason: str | None = None
    # A refused op resolved since: "re-applied by Ann: she had waited".
    resolution: str | None = None


def card_history(store: LocalStore, card_number: str, limit: int = 50) -> list[HistoryItem]:
    items = _pulled(store, card_number, limit)
    items += _from_ops(store.unsynced_entries(card_number, limit))
    return sorted(items, key=lambda i: i.at, reverse=True)[:limit]


def store_history(store: LocalStore, limit: int = 100) -> list[HistoryItem]:
    items = _pulled(store, None, limit)
    items += _from_ops(store.unsynced_entries(None, limit))
    return sorted(items, key=lambda i: i.at, reverse=True)[:limit]


def _pulled(store: LocalStore, card_number: str | None, limit: int) -> list[HistoryItem]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.id, t.type, t.stamps_delta, t.points_delta, t.order_reference, "
                "t.created_at, c.card_number FROM transactions t "
                "JOIN cards c ON c.id = t.card_id WHERE (:n IS NULL OR c.card_number = :n) "
                "ORDER BY t.id DESC LIMIT :limit"
            ),
            {"n": card_number, "limit": limit},
        ).all()
    return [
        HistoryItem(
            at=datetime.fromisoformat(r.created_at),
            card_number=r.card_number,
            kind=TransactionType(r.type),
            stamps_delta=r.stamps_delta,
            points_delta=r.points_delta,
            order_reference=r.order_reference,
            transaction_id=r.id,
            status="synced",
        )
        for r in rows
    ]


def _from_ops(entries: list[OutboxEntry]) -> list[HistoryItem]:
    """Card operations only: acknowledging or resolving the attention list is no activity
    (a re-apply's adjustment comes back from the server in the pull)."""
    return [
        _from_op(e)
        for e in entries
        if not isinstance(e.op, AcknowledgeAttention | ResolveAttention)
    ]


def _from_op(entry: OutboxEntry) -> HistoryItem:
    op = entry.op
    assert not isinstance(op, AcknowledgeAttention | ResolveAttention)
    outcome = entry.outcome or {}
    return HistoryItem(
        at=entry.client_time,
        card_number=op.card_number,
        kind=_OP_KIND[op.type],
        stamps_delta=None,
        points_delta=None,
        order_reference=op.order_reference if isinstance(op, EarnPoints) else None,
        transaction_id=None,
        status=entry.status,
        reason=outcome.get("message") if entry.status != "applied" else outcome.get("code"),
        resolution=resolution_words(entry),
    )


_RESOLVED_WORDS = {"reapply": "re-applied", "dismiss": "dismissed"}


def resolution_words(entry: OutboxEntry) -> str | None:
    """How an attention item was resolved, in a cashier's words; None while it is not."""
    if entry.resolution_action is None:
        return None
    done = _RESOLVED_WORDS.get(entry.resolution_action, entry.resolution_action)
    who = f" by {entry.resolved_by}" if entry.resolved_by else ""
    why = f": {entry.resolution_reason}" if entry.resolution_reason else ""
    return f"{done}{who}{why}"
