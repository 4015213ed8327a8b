"""Ledger entry types and the entry a rule asks to append."""

from dataclasses import dataclass
from enum import StrEnum


class TransactionType(StrEnum):
    CARD_CREATED = "CARD_CREATED"
    WELCOME_BONUS = "WELCOME_BONUS"
    STAMP_EARNED = "STAMP_EARNED"
    STAMP_REDEEMED = "STAMP_REDEEMED"
    STAMP_VOIDED = "STAMP_VOIDED"
    POINTS_EARNED = "POINTS_EARNED"
    POINTS_REDEEMED = "POINTS_REDEEMED"
    POINTS_VOIDED = "POINTS_VOIDED"
    POINTS_ADJUSTMENT = "POINTS_ADJUSTMENT"
    STAMPS_ADJUSTMENT = "STAMPS_ADJUSTMENT"
    CARD_DEACTIVATED = "CARD_DEACTIVATED"
    CARD_REACTIVATED = "CARD_REACTIVATED"


# The entry type that voids each voidable one (voids name it by related_transaction_id).
VOID_OF: dict[TransactionType, TransactionType] = {
    TransactionType.STAMP_EARNED: TransactionType.STAMP_VOIDED,
    TransactionType.POINTS_EARNED: TransactionType.POINTS_VOIDED,
}


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """An append-only ledger row before storage gives it an id."""

    type: TransactionType
    stamps_delta: int = 0
    points_delta: int = 0
    stamp_count_after: int = 0
    points_balance_after: int = 0
    purchase_amount_cents: int | None = None
    order_reference: str | None = None
    reward_id: str | None = None
    reward_name: str | None = None
    related_transaction_id: int | None = None
    notes: str | None = None
    # The refused till op (its op_id) an adjustment settles: an attention resolution.
    related_op_id: str | None = None


@dataclass(frozen=True, slots=True)
class OriginalEntry:
    """A ledger entry a void refers to, with how much of it is already voided."""

    id: int
    type: TransactionType
    stamps_delta: int
    points_delta: int
    stamps_already_voided: int = 0
    points_already_voided: int = 0
