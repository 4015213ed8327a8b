"""Resolve an attention item: re-apply the refused op as a linked adjustment, or
dismiss it, once. The one path for the owner's API and a till's ``attention.resolve``.

Once means: the item's row is locked by the caller, and a resolution is recorded on it
with its own id; the same id again answers what was done (no second entry), another
id is ``ATTENTION_ALREADY_RESOLVED``. A resolution also acknowledges the item, so it
leaves the open list everywhere and reaches the till that raised it by the existing
acknowledgement path of the pull (docs/sync-protocol.md, "Resolution")."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from common.codes import Reason
from common.operations import AddStamp, EarnPoints, ResolveAttention
from common.outcome import Rejected, reject
from common.program import ProgramRules, StoreClock
from common.rules.context import RuleContext
from common.rules.resolution import reapply
from sync_server.actor import RequestMeta, StoreActor
from sync_server.models import Card, LedgerEntry
from sync_server.models.sync import SyncOp
from sync_server.repositories import cards as card_repo
from sync_server.repositories import ledger as ledger_repo
from sync_server.repositories import programs as program_repo
from sync_server.repositories import sync_ops as sync_repo
from sync_server.services.card_state import state_of, write_state
from sync_server.services.operations import entry_values
from sync_server.services.programs import rules_of


@dataclass(frozen=True, slots=True)
class Resolver:
    """Who resolves: a login (the owner) or a staff PIN at a till, always named."""

    name: str | None
    pin_id: int | None = None
    at_till: bool = False


@dataclass(frozen=True, slots=True)
class Resolution:
    op: ResolveAttention
    resolution_id: str
    who: Resolver
    when: datetime
    meta: RequestMeta
    nowait: bool = False  # the caller holds locks that come after cards in the lock order


@dataclass(frozen=True, slots=True)
class Resolved:
    fresh: bool  # False: this very resolution was recorded before, nothing done again
    card: Card | None = None  # the card a re-apply wrote


def resolve(
    session: Session, actor: StoreActor, target: SyncOp, res: Resolution
) -> Resolved | Rejected:
    """Resolve the (row-locked) item, or say why not; nothing is written on a refusal."""
    if target.resolution_id is not None:
        if target.resolution_id == res.resolution_id:
            return Resolved(fresh=False)
        return reject(Reason.ATTENTION_ALREADY_RESOLVED, resolution_id=target.resolution_id)
    entry_id, card = None, None
    if res.op.action == "reapply":
        applied = _reapply(session, actor, target, res)
        if isinstance(applied, Rejected):
            return applied
        entry_id, card = applied
    _record(target, res, entry_id)
    return Resolved(fresh=True, card=card)


def lock_item(session: Session, merchant_id: int, item_id: int) -> SyncOp | None:
    """The item for the owner's API, locked in the push's lock order (its card, then
    the till's attention item), so a till's push resolving it meanwhile cannot
    deadlock with this: a push holds the cards it names before the items it resolves."""
    number = sync_repo.card_number_of(session, merchant_id, item_id)
    if number is None:
        return None
    card_repo.lock_by_number(session, merchant_id, number)
    return sync_repo.lock_for_merchant(session, merchant_id, item_id)


def _record(target: SyncOp, res: Resolution, entry_id: int | None) -> None:
    target.resolution_id = res.resolution_id
    target.resolution_action = res.op.action
    target.resolution_reason = res.op.reason
    target.resolved_at = res.when
    target.resolved_by = res.who.name
    target.resolved_by_pin_id = res.who.pin_id
    target.resolution_transaction_id = entry_id
    if target.acknowledged_at is None:
        target.acknowledged_at = res.when
        target.acknowledged_by = res.who.name
        target.acknowledged_by_pin_id = res.who.pin_id


def _reapply(
    session: Session, actor: StoreActor, target: SyncOp, res: Resolution
) -> tuple[int, Card] | Rejected:
    program = program_repo.for_merchant(session, target.merchant_id)
    if program is None:
        return reject(Reason.PROGRAM_NOT_FOUND)
    rules = rules_of(program)
    if res.who.at_till and (refused := _beyond_refused(target, res.op, rules)):
        return refused
    card = card_repo.lock_by_number(
        session, target.merchant_id, target.card_number, nowait=res.nowait
    )
    if card is None:
        return reject(Reason.CARD_NOT_FOUND)
    store = program_repo.store(session, target.store_id)
    ctx = RuleContext(program=rules, clock=StoreClock(store.timezone), now=res.when)
    decision = reapply(ctx, state_of(card), res.op)
    if isinstance(decision, Rejected):
        return decision
    write_state(card, decision.card)
    session.flush()
    (draft,) = decision.entries
    values = entry_values(
        draft,
        merchant_id=card.merchant_id,
        card_id=card.id,
        actor=actor,
        staff_pin_id=res.who.pin_id,
        now=res.when,
        client_time=None,
        meta=res.meta,
    )
    entry = LedgerEntry(
        **values | {"store_id": target.store_id, "related_op_id": draft.related_op_id}
    )
    ledger_repo.add(session, [entry])
    return entry.id, card


def _beyond_refused(target: SyncOp, op: ResolveAttention, rules: ProgramRules) -> Rejected | None:
    """A till re-applies at most what the refused op asked (the stamp a cooldown refused,
    the points an earn would have given); anything else needs the owner."""
    asked_stamps, asked_points = 0, 0
    if target.op_type == AddStamp.model_fields["type"].default:
        asked_stamps = 1
    elif target.op_type == EarnPoints.model_fields["type"].default:
        cents = target.body.get("purchase_amount_cents")
        asked_points = rules.points_for(cents) if isinstance(cents, int) else 0
    if 0 < (op.stamps_delta or 0) <= asked_stamps or 0 < (op.points_delta or 0) <= asked_points:
        return None
    return reject(
        Reason.REAPPLY_EXCEEDS_REFUSED, stamps_asked=asked_stamps, points_asked=asked_points
    )
