"""One entry point for every operation: the guards all rules share, then the rule."""

from common.bounds import crossed_bound
from common.card import CardState
from common.codes import Reason
from common.operations import (
    AddStamp,
    AdjustPoints,
    Deactivate,
    EarnPoints,
    Enroll,
    Operation,
    Reactivate,
    RedeemPoints,
    RedeemStamps,
    VoidPoints,
    VoidStamps,
)
from common.outcome import Applied, Decision, Rejected, reject
from common.rules import lifecycle, points, stamps
from common.rules.context import Facts, RuleContext

_STAMP_OPS = (AddStamp, RedeemStamps, VoidStamps)
_POINT_OPS = (EarnPoints, RedeemPoints, VoidPoints, AdjustPoints)


def decide(
    ctx: RuleContext, card: CardState | None, op: Operation, facts: Facts = Facts()
) -> Decision:
    """Decide an operation against the card as it is now (``None``: no such card)."""
    if not ctx.program.is_active:
        return reject(Reason.PROGRAM_INACTIVE)
    if isinstance(op, Enroll):
        if card is not None:
            return reject(Reason.CARD_ALREADY_EXISTS)
        return lifecycle.enroll(ctx, op)
    if card is None:
        return reject(Reason.CARD_NOT_FOUND)
    refused = _guard(ctx, card, op)
    if refused is not None:
        return refused
    decision = _dispatch(ctx, card, op, facts)
    if isinstance(decision, Applied) and (bound := crossed_bound(card, decision.card)):
        return reject(Reason.BALANCE_LIMIT, bound=bound)
    return decision


def _guard(ctx: RuleContext, card: CardState, op: Operation) -> Rejected | None:
    if not card.is_active and not isinstance(op, Reactivate):
        return reject(Reason.CARD_INACTIVE)
    if isinstance(op, _STAMP_OPS) and not ctx.program.is_stamps_enabled:
        return reject(Reason.STAMPS_NOT_ENABLED)
    if isinstance(op, _POINT_OPS) and not ctx.program.is_points_enabled:
        return reject(Reason.POINTS_NOT_ENABLED)
    return None


def _dispatch(ctx: RuleContext, card: CardState, op: Operation, facts: Facts) -> Decision:
    match op:
        case AddStamp():
            return stamps.add_stamp(ctx, card, op)
        case RedeemStamps():
            return stamps.redeem_stamps(ctx, card, op)
        case VoidStamps():
            return stamps.void_stamps(ctx, card, op, facts)
        case EarnPoints():
            return points.earn_points(ctx, card, op, facts)
        case RedeemPoints():
            return points.redeem_points(ctx, card, op)
        case VoidPoints():
            return points.void_points(ctx, card, op, facts)
        case AdjustPoints():
            return points.adjust_points(ctx, card, op)
        case Deactivate():
            return lifecycle.deactivate(ctx, card, op)
        case Reactivate():
            return lifecycle.reactivate(ctx, card, op)
        case Enroll():
            return reject(Reason.CARD_ALREADY_EXISTS)
