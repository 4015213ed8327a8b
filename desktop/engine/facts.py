"""The ledger facts a rule needs (the entry a void names, whether an order reference
was used), decided at the till from what it knows of the card's ledger: this store's
pulled entries plus the entries its own unanswered ops would write. So a void of a
sale rung up offline works offline, and is checked the way the server will."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import text

from common.ledger import VOID_OF, EntryDraft, OriginalEntry, TransactionType
from common.operations import EarnPoints, Operation, VoidPoints, VoidStamps
from common.rules import Facts
from desktop.engine.local_store import LocalStore


@dataclass(frozen=True, slots=True)
class KnownEntry:
    """A ledger entry as the till knows it; an entry of a pending op has a negative
    stand-in id that is never sent (the server names its entries itself)."""

    id: int
    type: TransactionType
    stamps_delta: int
    points_delta: int
    order_reference: str | None
    related_transaction_id: int | None


def pulled_entries(store: LocalStore, card_id: int | None) -> list[KnownEntry]:
    if card_id is None:
        return []
    with store.reading() as conn:
        rows = conn.execute(
            text(
                "SELECT id, type, stamps_delta, points_delta, order_reference, "
                "related_transaction_id FROM transactions WHERE card_id = :card ORDER BY id"
            ),
            {"card": card_id},
        ).all()
    return [
        KnownEntry(
            r.id,
            TransactionType(r.type),
            r.stamps_delta,
            r.points_delta,
            r.order_reference,
            r.related_transaction_id,
        )
        for r in rows
    ]


def pending_entries(seq: int, drafts: Iterable[EntryDraft]) -> list[KnownEntry]:
    return [
        KnownEntry(
            -(seq * 8 + i),
            d.type,
            d.stamps_delta,
            d.points_delta,
            d.order_reference,
            d.related_transaction_id,
        )
        for i, d in enumerate(drafts)
    ]


def facts_for(op: Operation, known: Sequence[KnownEntry]) -> Facts:
    match op:
        case EarnPoints(order_reference=str() as ref):
            return Facts(order_reference_used=_earn_with(ref, known) is not None)
        case (
            VoidStamps(original_transaction_id=int() as entry_id)
            | VoidPoints(original_transaction_id=int() as entry_id)
        ):
            found = next((e for e in known if e.id == entry_id), None)
            return Facts(original=_original(found, known))
        case VoidPoints(order_reference=str() as ref):
            return Facts(original=_original(_earn_with(ref, known), known))
    return Facts()


def _earn_with(ref: str, known: Sequence[KnownEntry]) -> KnownEntry | None:
    return next(
        (e for e in known if e.type is TransactionType.POINTS_EARNED and e.order_reference == ref),
        None,
    )


def _original(entry: KnownEntry | None, known: Sequence[KnownEntry]) -> OriginalEntry | None:
    if entry is None:
        return None
    void_type = VOID_OF.get(entry.type)
    voids = [e for e in known if e.related_transaction_id == entry.id and e.type is void_type]
    return OriginalEntry(
        id=entry.id,
        type=entry.type,
        stamps_delta=entry.stamps_delta,
        points_delta=entry.points_delta,
        stamps_already_voided=sum(-e.stamps_delta for e in voids),
        points_already_voided=sum(-e.points_delta for e in voids),
    )
