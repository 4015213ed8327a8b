"""Card lifecycle: enroll (with the welcome bonus), deactivate, reactivate."""

from dataclasses import replace

from common.card import CardState
from common.codes import Reason
from common.ledger import EntryDraft, TransactionType
from common.operations import Deactivate, Enroll, Reactivate
from common.outcome import Applied, Decision, reject
from common.rules.context import RuleContext


def enroll(ctx: RuleContext, op: Enroll) -> Decision:
    now, bonus = ctx.now, ctx.program.welcome_bonus_points
    card = CardState(card_number=op.card_number, last_activity_at=now)
    entries = [EntryDraft(type=TransactionType.CARD_CREATED, notes=op.notes)]
    if bonus > 0 and ctx.program.is_points_enabled:
        card = replace(card, points_balance=bonus, total_points_earned=bonus, last_points_at=now)
        entries.append(
            EntryDraft(
                type=TransactionType.WELCOME_BONUS,
                points_delta=bonus,
                points_balance_after=bonus,
            )
        )
    return Applied(card, tuple(entries))


def deactivate(ctx: RuleContext, card: CardState, op: Deactivate) -> Decision:
    new = replace(card, is_active=False, last_activity_at=ctx.now)
    return Applied(new, (_entry(TransactionType.CARD_DEACTIVATED, new, op.notes),))


def reactivate(ctx: RuleContext, card: CardState, op: Reactivate) -> Decision:
    if card.is_active:
        return reject(Reason.CARD_ALREADY_ACTIVE)
    new = replace(card, is_active=True, last_activity_at=ctx.now)
    return Applied(new, (_entry(TransactionType.CARD_REACTIVATED, new, op.notes),))


def _entry(kind: TransactionType, new: CardState, notes: str | None) -> EntryDraft:
    return EntryDraft(
        type=kind,
        stamp_count_after=new.stamp_count,
        points_balance_after=new.points_balance,
        notes=notes,
    )
