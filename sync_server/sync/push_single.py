"""One pushed op through the ORM path the store API uses: for the ops a batch does not
decide in memory (enrollments with their merge rule, voids, offline redemptions under
the offline limits, (de)activations, cards the batch did not lock up front)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from common.card_number import node_of, terminal_node
from common.codes import Reason
from common.operations import Enroll, Operation, RedeemPoints, RedeemStamps
from common.outcome import Rejected, reject
from sync_server.actor import RequestMeta, StoreActor
from sync_server.config import Settings
from sync_server.models import Card
from sync_server.models.sync import CardAlias
from sync_server.repositories import cards as card_repo
from sync_server.services import operations
from sync_server.services.staff_pins import PinConfirmed
from sync_server.sync.messages import PushedOp
from sync_server.sync.offline import OfflinePolicy
from sync_server.sync.push_records import Record, applied_record, rejected_record


@dataclass(frozen=True, slots=True)
class SingleResult:
    record: Record
    card: Card | None  # the card now holding the op's effect, if any


def apply_one(
    session: Session,
    actor: StoreActor,
    item: PushedOp,
    op: Operation,
    when: datetime,
    meta: RequestMeta,
    settings: Settings,
    policy: OfflinePolicy,
) -> SingleResult:
    staff = PinConfirmed(item.staff_pin_id) if item.staff_pin_id is not None else None
    is_redemption = isinstance(op, RedeemPoints | RedeemStamps)
    overdraft = False
    if item.offline and is_redemption:
        # The card's lock first: two pushes of one till racing on one card then count
        # each other's redemptions (the limits are judged after the lock, not before).
        card_repo.lock_by_number(session, actor.merchant_id, op.card_number)
        refused = policy.check(session, actor, item, op, when)
        if refused is not None:
            return SingleResult(rejected_record(refused), None)
        overdraft = policy.may_overspend(session, actor, op.card_number)
    req = operations.OpRequest(
        actor, op, staff, meta, when, client_time=item.client_time, allow_overdraft=overdraft
    )
    if isinstance(op, Enroll):
        return _enroll(session, req, settings)
    result = operations.apply_operation(session, req, settings)
    if isinstance(result, Rejected):
        return SingleResult(rejected_record(result), None)
    record = applied_record(result.card, [e.id for e in result.entries])
    if is_redemption:
        record.redeemed_points = -sum(e.points_delta or e.stamps_delta for e in result.entries)
    return SingleResult(record, result.card)


def _enroll(session: Session, req: operations.OpRequest, settings: Settings) -> SingleResult:
    """An offline enrollment; if the customer got a card elsewhere meanwhile, this number
    becomes an alias of that card (merge rule: the first card enrolled wins)."""
    op = req.op
    assert isinstance(op, Enroll)
    assert req.actor.terminal_id is not None
    if node_of(op.card_number) != terminal_node(req.actor.terminal_id):
        return SingleResult(rejected_record(reject(Reason.CARD_NUMBER_NOT_YOURS)), None)
    card_repo.lock_node(session, node_of(op.card_number))
    if card_repo.number_taken(session, op.card_number):
        # Issued once, a number means one card for good: never re-pointed, never merged.
        refused = reject(Reason.CARD_ALREADY_EXISTS, card_number=op.card_number)
        return SingleResult(rejected_record(refused), None)
    customer = card_repo.lock_or_create_customer(
        session, req.actor.merchant_id, op.customer.email, op.customer.name, op.customer.phone
    )
    existing = card_repo.get_by_customer(session, customer.id)
    if existing is None:
        result = operations.enroll(session, req, customer, settings)
        if isinstance(result, Rejected):
            return SingleResult(rejected_record(result), None)
        return SingleResult(
            applied_record(result.card, [e.id for e in result.entries]), result.card
        )
    # Locked up front with the batch's cards, unless it appeared since: then NOWAIT
    # (this transaction holds PINs and the customer, which come after cards).
    card = card_repo.lock_by_number(
        session, req.actor.merchant_id, existing.card_number, nowait=True
    )
    assert card is not None
    session.add(
        CardAlias(card_number=op.card_number, merchant_id=card.merchant_id, card_id=card.id)
    )
    return SingleResult(applied_record(card, [], merged_into=card.card_number), card)
