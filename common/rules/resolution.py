"""Re-applying a refused till op: a stamps or points adjustment linked to that op.

The same guards and bounds as every other rule (common/rules/decide.py,
common/bounds.py): an inactive card or program refuses it, a balance may not go below
zero, and an adjustment that would carry a card past a bound is ``BALANCE_LIMIT``."""

from dataclasses import replace

from common.bounds import crossed_bound
from common.card import CardState
from common.codes import Reason
from common.ledger import EntryDraft, TransactionType
from common.operations import MAX_ADJUSTMENT, MAX_STAMP_ADJUSTMENT, ResolveAttention
from common.outcome import Applied, Decision, reject
from common.rules.context import RuleContext


def reapply(ctx: RuleContext, card: CardState, op: ResolveAttention) -> Decision:
    """Grant (or take back) what the refused op ``op.op_id`` was about, with a reason."""
    if not ctx.program.is_active:
        return reject(Reason.PROGRAM_INACTIVE)
    if not card.is_active:
        return reject(Reason.CARD_INACTIVE)
    if op.action != "reapply":
        return reject(Reason.INVALID_OPERATION, action=op.action)
    decision = (
        _stamps(ctx, card, op, op.stamps_delta)
        if op.stamps_delta is not None
        else _points(ctx, card, op, op.points_delta or 0)
    )
    if isinstance(decision, Applied) and (bound := crossed_bound(card, decision.card)):
        return reject(Reason.BALANCE_LIMIT, bound=bound)
    return decision


def _stamps(ctx: RuleContext, card: CardState, op: ResolveAttention, delta: int) -> Decision:
    if not ctx.program.is_stamps_enabled:
        return reject(Reason.STAMPS_NOT_ENABLED)
    if delta == 0 or abs(delta) > MAX_STAMP_ADJUSTMENT:
        return reject(Reason.ADJUSTMENT_OUT_OF_BOUNDS, stamps_delta=delta)
    if card.stamp_count + delta < 0:
        return reject(Reason.INSUFFICIENT_STAMPS, stamp_count=card.stamp_count, needed=-delta)
    new = replace(
        card,
        stamp_count=card.stamp_count + delta,
        # A granted stamp is earned; one taken back is voided: the totals stay in step.
        total_stamps_earned=card.total_stamps_earned + max(delta, 0),
        total_stamps_voided=card.total_stamps_voided + max(-delta, 0),
        last_activity_at=ctx.now,
    )
    draft = EntryDraft(
        type=TransactionType.STAMPS_ADJUSTMENT,
        stamps_delta=delta,
        stamp_count_after=new.stamp_count,
        points_balance_after=new.points_balance,
        notes=op.reason,
        related_op_id=str(op.op_id),
    )
    return Applied(new, (draft,))


def _points(ctx: RuleContext, card: CardState, op: ResolveAttention, delta: int) -> Decision:
    if not ctx.program.is_points_enabled:
        return reject(Reason.POINTS_NOT_ENABLED)
    if delta == 0 or abs(delta) > MAX_ADJUSTMENT:
        return reject(Reason.ADJUSTMENT_OUT_OF_BOUNDS, points_delta=delta)
    if card.points_balance + delta < 0:
        return reject(Reason.INSUFFICIENT_POINTS, points_balance=card.points_balance, needed=-delta)
    new = replace(
        card,
        points_balance=card.points_balance + delta,
        total_points_adjusted=card.total_points_adjusted + delta,
        last_points_at=ctx.now,
        last_activity_at=ctx.now,
    )
    draft = EntryDraft(
        type=TransactionType.POINTS_ADJUSTMENT,
        points_delta=delta,
        stamp_count_after=new.stamp_count,
        points_balance_after=new.points_balance,
        notes=op.reason,
        related_op_id=str(op.op_id),
    )
    return Applied(new, (draft,))
