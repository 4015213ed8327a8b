"""Stamp rules: earn with cooldown and daily limit, redeem at target, void."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from common.card import CardState
from common.codes import Reason
from common.ledger import EntryDraft, TransactionType
from common.operations import AddStamp, RedeemStamps, VoidStamps
from common.outcome import Applied, Decision, reject
from common.rules.context import Facts, RuleContext


def add_stamp(ctx: RuleContext, card: CardState, op: AddStamp) -> Decision:
    """Operations can arrive out of time order (an offline till syncing late), so the
    cooldown is the distance to the latest stamp either way, and a stamp on a local day
    before the card's counted day is not held to a count the card no longer keeps."""
    program, now = ctx.program, ctx.now
    ready_at = _cooldown_ends(ctx, card)
    if ready_at is not None:
        return reject(Reason.COOLDOWN_ACTIVE, cooldown_ends_at=ready_at.isoformat())
    day = ctx.clock.local_day(now)
    late = card.stamps_day is not None and day < card.stamps_day
    today = card.stamps_on(day)
    if not late and today >= program.max_daily_stamps:
        return reject(Reason.DAILY_STAMP_LIMIT, max_daily_stamps=program.max_daily_stamps)
    last = now if card.last_stamp_at is None else max(card.last_stamp_at, now)
    new = replace(
        card,
        stamp_count=card.stamp_count + 1,
        total_stamps_earned=card.total_stamps_earned + 1,
        stamps_day=card.stamps_day if late else day,
        stamps_on_day=card.stamps_on_day if late else today + 1,
        last_stamp_at=last,
        last_activity_at=_latest(card.last_activity_at, now),
    )
    return Applied(new, (_entry(TransactionType.STAMP_EARNED, 1, new, op.notes),))


def _cooldown_ends(ctx: RuleContext, card: CardState) -> datetime | None:
    """When the running cooldown ends, or None if a stamp is allowed now."""
    if card.last_stamp_at is None:
        return None
    cooldown = timedelta(minutes=ctx.program.cooldown_minutes)
    if abs(ctx.now - card.last_stamp_at) < cooldown:
        return card.last_stamp_at + cooldown
    return None


def _latest(known: datetime | None, now: datetime) -> datetime:
    return now if known is None else max(known, now)


def redeem_stamps(ctx: RuleContext, card: CardState, op: RedeemStamps) -> Decision:
    target = ctx.program.stamps_target
    if card.stamp_count < target and not ctx.allow_overdraft:
        return reject(Reason.INSUFFICIENT_STAMPS, stamp_count=card.stamp_count, needed=target)
    new = replace(
        card,
        stamp_count=card.stamp_count - target,
        stamps_redeemed=card.stamps_redeemed + target,
        last_redemption_at=ctx.now,
        last_activity_at=ctx.now,
    )
    entry = replace(
        _entry(TransactionType.STAMP_REDEEMED, -target, new, op.notes),
        reward_name=ctx.program.stamps_reward_description,
    )
    return Applied(new, (entry,))


def void_stamps(ctx: RuleContext, card: CardState, op: VoidStamps, facts: Facts) -> Decision:
    related: int | None = None
    if op.original_transaction_id is not None:
        original = facts.original
        if original is None:
            return reject(Reason.ORIGINAL_TRANSACTION_NOT_FOUND)
        if original.type is not TransactionType.STAMP_EARNED:
            return reject(Reason.ORIGINAL_TRANSACTION_NOT_VOIDABLE)
        count = original.stamps_delta - original.stamps_already_voided
        if count <= 0:
            return reject(Reason.ALREADY_VOIDED)
        related = original.id
    else:
        assert op.stamps_to_void is not None
        count = op.stamps_to_void
    voidable = card.total_stamps_earned - card.total_stamps_voided
    if count > voidable:
        return reject(Reason.VOID_EXCEEDS_EARNED, requested=count, voidable=voidable)
    if count > card.stamp_count:
        return reject(Reason.INSUFFICIENT_STAMPS, stamp_count=card.stamp_count, needed=count)
    new = replace(
        card,
        stamp_count=card.stamp_count - count,
        total_stamps_voided=card.total_stamps_voided + count,
        last_activity_at=ctx.now,
    )
    entry = replace(
        _entry(TransactionType.STAMP_VOIDED, -count, new, op.notes),
        related_transaction_id=related,
    )
    return Applied(new, (entry,))


def _entry(kind: TransactionType, delta: int, new: CardState, notes: str | None) -> EntryDraft:
    return EntryDraft(
        type=kind,
        stamps_delta=delta,
        stamp_count_after=new.stamp_count,
        points_balance_after=new.points_balance,
        notes=notes,
    )


@dataclass(frozen=True, slots=True)
class StampAvailability:
    """What a cashier sees before pressing 'add stamp'."""

    can_stamp: bool
    cooldown_ends_at: datetime | None
    stamps_today: int
    can_earn_more_today: bool


def stamp_availability(ctx: RuleContext, card: CardState) -> StampAvailability:
    """The same checks as add_stamp, as a status rather than a decision."""
    cooldown_ends_at = _cooldown_ends(ctx, card)
    today = card.stamps_on(ctx.clock.local_day(ctx.now))
    more_today = today < ctx.program.max_daily_stamps
    return StampAvailability(
        can_stamp=(
            cooldown_ends_at is None
            and more_today
            and card.is_active
            and ctx.program.is_active
            and ctx.program.is_stamps_enabled
        ),
        cooldown_ends_at=cooldown_ends_at,
        stamps_today=today,
        can_earn_more_today=more_today,
    )
