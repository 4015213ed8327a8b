"""Point rules: earn per currency unit, redeem from the catalog, void, adjust."""

from dataclasses import replace

from common.card import CardState
from common.codes import Reason
from common.ledger import EntryDraft, TransactionType
from common.operations import MAX_ADJUSTMENT, AdjustPoints, EarnPoints, RedeemPoints, VoidPoints
from common.outcome import Applied, Decision, reject
from common.rules.context import Facts, RuleContext


def earn_points(ctx: RuleContext, card: CardState, op: EarnPoints, facts: Facts) -> Decision:
    if op.order_reference is not None and facts.order_reference_used:
        return reject(Reason.DUPLICATE_ORDER_REFERENCE, order_reference=op.order_reference)
    points = ctx.program.points_for(op.purchase_amount_cents)
    if points <= 0:
        return reject(Reason.NO_POINTS_FOR_AMOUNT)
    new = replace(
        card,
        points_balance=card.points_balance + points,
        total_points_earned=card.total_points_earned + points,
        last_points_at=ctx.now,
        last_activity_at=ctx.now,
    )
    entry = replace(
        _entry(TransactionType.POINTS_EARNED, points, new, op.notes),
        purchase_amount_cents=op.purchase_amount_cents,
        order_reference=op.order_reference,
    )
    return Applied(new, (entry,))


def redeem_points(ctx: RuleContext, card: CardState, op: RedeemPoints) -> Decision:
    reward = ctx.program.reward(op.reward_id)
    if reward is None:
        return reject(Reason.REWARD_NOT_FOUND, reward_id=op.reward_id)
    if not reward.is_active:
        return reject(Reason.REWARD_INACTIVE, reward_id=op.reward_id)
    if card.points_balance < reward.points_required and not ctx.allow_overdraft:
        return reject(
            Reason.INSUFFICIENT_POINTS,
            points_balance=card.points_balance,
            needed=reward.points_required,
        )
    new = replace(
        card,
        points_balance=card.points_balance - reward.points_required,
        points_redeemed=card.points_redeemed + reward.points_required,
        last_redemption_at=ctx.now,
        last_activity_at=ctx.now,
    )
    entry = replace(
        _entry(TransactionType.POINTS_REDEEMED, -reward.points_required, new, op.notes),
        reward_id=reward.id,
        reward_name=reward.name,
    )
    return Applied(new, (entry,))


def void_points(ctx: RuleContext, card: CardState, op: VoidPoints, facts: Facts) -> Decision:
    """Reverse an earn exactly (what is left of it) or a stated amount, never more."""
    related: int | None = None
    if op.points_to_void is not None:
        amount = op.points_to_void
    else:
        original = facts.original
        if original is None:
            return reject(Reason.ORIGINAL_TRANSACTION_NOT_FOUND)
        if original.type is not TransactionType.POINTS_EARNED:
            return reject(Reason.ORIGINAL_TRANSACTION_NOT_VOIDABLE)
        amount = original.points_delta - original.points_already_voided
        if amount <= 0:
            return reject(Reason.ALREADY_VOIDED)
        related = original.id
    voidable = card.total_points_earned - card.total_points_voided
    if amount > voidable:
        return reject(Reason.VOID_EXCEEDS_EARNED, requested=amount, voidable=voidable)
    if amount > card.points_balance:
        return reject(Reason.INSUFFICIENT_POINTS, points_balance=card.points_balance, needed=amount)
    new = replace(
        card,
        points_balance=card.points_balance - amount,
        total_points_voided=card.total_points_voided + amount,
        last_activity_at=ctx.now,
    )
    entry = replace(
        _entry(TransactionType.POINTS_VOIDED, -amount, new, op.notes),
        related_transaction_id=related,
        order_reference=op.order_reference,
    )
    return Applied(new, (entry,))


def adjust_points(ctx: RuleContext, card: CardState, op: AdjustPoints) -> Decision:
    if op.points_delta == 0 or abs(op.points_delta) > MAX_ADJUSTMENT:
        return reject(Reason.ADJUSTMENT_OUT_OF_BOUNDS, points_delta=op.points_delta)
    if card.points_balance + op.points_delta < 0:
        return reject(
            Reason.INSUFFICIENT_POINTS,
            points_balance=card.points_balance,
            needed=-op.points_delta,
        )
    new = replace(
        card,
        points_balance=card.points_balance + op.points_delta,
        total_points_adjusted=card.total_points_adjusted + op.points_delta,
        last_points_at=ctx.now,
        last_activity_at=ctx.now,
    )
    notes = op.reason if not op.notes else f"{op.reason} — {op.notes}"
    return Applied(new, (_entry(TransactionType.POINTS_ADJUSTMENT, op.points_delta, new, notes),))


def _entry(kind: TransactionType, delta: int, new: CardState, notes: str | None) -> EntryDraft:
    return EntryDraft(
        type=kind,
        points_delta=delta,
        stamp_count_after=new.stamp_count,
        points_balance_after=new.points_balance,
        notes=notes,
    )
