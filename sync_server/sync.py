"""The sync protocol, server side, top to bottom.

Push: a terminal's batch is applied in seq order, one database transaction per op.
Each transaction first *claims* (terminal, op_id) by inserting its idempotency row,
then locks the card, re-checks the rules with the same common/ functions the terminal
used, writes the ledger, and stores the outcome on the claimed row: the effect and
the record of it commit together or not at all. A replay finds the claim and gets the
stored outcome back.

Pull lives in sync_server/pull.py.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from common.card_number import node_of, terminal_node
from common.codes import MESSAGES, Reason
from common.operations import AdjustPoints, Enroll, Operation, RedeemPoints, RedeemStamps
from common.outcome import Rejected, reject
from common.pins import PinLockState, after_failure
from sync_server.actor import RequestMeta, StoreActor
from sync_server.api.schemas.sync import (
    CardBalances,
    OpOutcome,
    PinFailure,
    PinFailureOutcome,
    PushedOp,
    PushRequest,
    PushResponse,
)
from sync_server.config import Settings
from sync_server.models import Card
from sync_server.models.sync import CardAlias, SyncOp
from sync_server.offline import OfflinePolicy, offline_policy
from sync_server.repositories import cards as card_repo
from sync_server.repositories import pins as pin_repo
from sync_server.repositories import sync_ops as repo
from sync_server.services import operations
from sync_server.services.programs import lockout_policy
from sync_server.services.staff_pins import PinConfirmed

OPERATION: TypeAdapter[Operation] = TypeAdapter(Operation)


def effective_time(
    client_time: datetime, sent_at: datetime, now: datetime, max_age: timedelta
) -> datetime:
    """When an op happened, on the server's clock.

    The till's clock may be hours off, but it is off by the same amount when it made
    the op and when it sent the batch (``sent_at``), so the skew cancels out. The result
    is clamped: never in the future, never older than the offline window."""
    corrected = client_time + (now - sent_at)
    return min(now, max(now - max_age, corrected))


def push(
    factory: sessionmaker[Session],
    actor: StoreActor,
    request: PushRequest,
    meta: RequestMeta,
    settings: Settings,
    now: datetime,
) -> PushResponse:
    results = [
        _in_transaction(
            factory, lambda s, op=op: _push_op(s, actor, op, request, meta, settings, now)
        )
        for op in sorted(request.ops, key=lambda o: o.seq)
    ]
    failures = [
        _in_transaction(
            factory, lambda s, ev=ev: _pin_failure(s, actor, ev, request, settings, now)
        )
        for ev in request.pin_failures
    ]
    return PushResponse(server_time=now, results=results, pin_failures=failures)


def _in_transaction(factory: sessionmaker[Session], work: Any) -> Any:
    with factory() as session:
        try:
            result = work(session)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise


def body_hash(item: PushedOp) -> str:
    canonical = json.dumps(item.body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_operation(item: PushedOp) -> Operation | Rejected:
    """Each op is validated on its own: one malformed op must not fail the batch."""
    try:
        return OPERATION.validate_python(item.body)
    except ValidationError as exc:
        errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()][:5]
        return reject(Reason.INVALID_OPERATION, errors=errors)


def _push_op(
    session: Session,
    actor: StoreActor,
    item: PushedOp,
    request: PushRequest,
    meta: RequestMeta,
    settings: Settings,
    now: datetime,
) -> OpOutcome:
    assert actor.terminal_id is not None
    when = effective_time(item.client_time, request.sent_at, now, settings.offline_max_age)
    digest = body_hash(item)
    row = repo.claim(session, _claim_values(actor, item, digest, when, now))
    if row is None:
        return _replayed(session, actor.terminal_id, item, digest)
    op = parse_operation(item)
    if isinstance(op, AdjustPoints):  # owner only, never from a till
        op = reject(Reason.OPERATION_NOT_ALLOWED)
    if isinstance(op, Rejected):
        _store(row, op)
        return _outcome(row, row.status)
    policy = offline_policy(session, actor.merchant_id, settings)
    result = _apply(session, actor, item, op, when, meta, settings, policy, row)
    _store(row, result)
    return _outcome(row, row.status)


def _claim_values(
    actor: StoreActor, item: PushedOp, digest: str, when: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "merchant_id": actor.merchant_id,
        "store_id": actor.store_id,
        "terminal_id": actor.terminal_id,
        "op_id": str(item.op_id),
        "seq": item.seq,
        "body_hash": digest,
        "body": item.body,
        "op_type": str(item.body.get("type", ""))[:32],
        "card_number": str(item.body.get("card_number", ""))[:16],
        "staff_pin_id": item.staff_pin_id,
        "offline": item.offline,
        "client_time": item.client_time,
        "effective_time": when,
        "received_at": now,
        "status": "pending",
        "result": {},
        "change_txid": 0,
    }


def _replayed(session: Session, terminal_id: int, item: PushedOp, digest: str) -> OpOutcome:
    existing = repo.by_op_id(session, terminal_id, str(item.op_id))
    if existing is None:
        return _refused(item, reject(Reason.SEQ_REUSED, seq=item.seq))
    if existing.body_hash != digest or existing.seq != item.seq:
        return _refused(item, reject(Reason.OP_ID_REUSED, op_id=str(item.op_id)))
    return _outcome(existing, "duplicate")


def _refused(item: PushedOp, rejected: Rejected) -> OpOutcome:
    """Refused without being stored: the (op_id, seq) slot belongs to another op."""
    return OpOutcome(
        op_id=item.op_id,
        seq=item.seq,
        status="rejected",
        code=rejected.code,
        message=rejected.message,
        detail=rejected.detail,
    )


@dataclass(frozen=True, slots=True)
class _Merged:
    card: Card


def _apply(
    session: Session,
    actor: StoreActor,
    item: PushedOp,
    op: Operation,
    when: datetime,
    meta: RequestMeta,
    settings: Settings,
    policy: OfflinePolicy,
    row: SyncOp,
) -> operations.OpResult | _Merged:
    staff = PinConfirmed(item.staff_pin_id) if item.staff_pin_id is not None else None
    is_redemption = isinstance(op, RedeemPoints | RedeemStamps)
    overdraft = False
    if item.offline and is_redemption:
        refused = policy.check(session, actor, item, op, when)
        if refused is not None:
            return refused
        overdraft = policy.allow_overspend
    req = operations.OpRequest(
        actor, op, staff, meta, when, client_time=item.client_time, allow_overdraft=overdraft
    )
    if isinstance(op, Enroll):
        return _enroll(session, req, settings)
    result = operations.apply_operation(session, req, settings)
    if isinstance(result, operations.OpApplied) and is_redemption:
        row.redeemed_points = -sum(e.points_delta or e.stamps_delta for e in result.entries)
    return result


def _enroll(
    session: Session, req: operations.OpRequest, settings: Settings
) -> operations.OpResult | _Merged:
    """An offline enrollment; if the customer got a card elsewhere meanwhile, this number
    becomes an alias of that card (merge rule: the first card enrolled wins)."""
    op = req.op
    assert isinstance(op, Enroll)
    assert req.actor.terminal_id is not None
    if node_of(op.card_number) != terminal_node(req.actor.terminal_id):
        return reject(Reason.CARD_NUMBER_NOT_YOURS)
    customer = card_repo.lock_or_create_customer(
        session, req.actor.merchant_id, op.customer.email, op.customer.name, op.customer.phone
    )
    existing = card_repo.get_by_customer(session, customer.id)
    if existing is None:
        return operations.enroll(session, req, customer, settings)
    card = card_repo.lock_by_number(session, req.actor.merchant_id, existing.card_number)
    assert card is not None
    session.add(
        CardAlias(card_number=op.card_number, merchant_id=card.merchant_id, card_id=card.id)
    )
    return _Merged(card)


def _store(row: SyncOp, result: operations.OpResult | _Merged) -> None:
    if isinstance(result, Rejected):
        row.status, row.code, row.message = "rejected", result.code, result.message
        row.result = {"detail": result.detail}
        return
    row.status = "applied"
    row.result = {"card": _balances(result.card).model_dump()}
    if isinstance(result, _Merged):
        row.result["merged_into"] = result.card.card_number
        return
    row.result["transaction_ids"] = [e.id for e in result.entries]
    if result.card.points_balance < 0 or result.card.stamp_count < 0:
        row.code, row.message = Reason.OFFLINE_OVERSPEND, MESSAGES[Reason.OFFLINE_OVERSPEND]


def _balances(card: Card) -> CardBalances:
    return CardBalances(
        card_number=card.card_number,
        stamp_count=card.stamp_count,
        points_balance=card.points_balance,
        is_active=card.is_active,
    )


def _outcome(row: SyncOp, status: str) -> OpOutcome:
    card = row.result.get("card")
    detail = dict(row.result.get("detail", {}))
    if "merged_into" in row.result:
        detail["merged_into"] = row.result["merged_into"]
    return OpOutcome(
        op_id=row.op_id,
        seq=row.seq,
        status=status,
        original_status=row.status if status == "duplicate" else None,
        code=row.code,
        message=row.message,
        transaction_ids=row.result.get("transaction_ids", []),
        card=CardBalances(**card) if card else None,
        detail=detail,
    )


def _pin_failure(
    session: Session,
    actor: StoreActor,
    event: PinFailure,
    request: PushRequest,
    settings: Settings,
    now: datetime,
) -> PinFailureOutcome:
    """A wrong PIN typed offline counts toward the lockout of every till of the store."""
    assert actor.terminal_id is not None
    when = effective_time(event.occurred_at, request.sent_at, now, settings.offline_max_age)
    pin = pin_repo.lock(session, actor.store_id, event.staff_pin_id)
    if pin is None:
        return PinFailureOutcome(event_id=event.event_id, status="rejected")
    fresh = repo.claim_pin_failure(
        session,
        {
            "terminal_id": actor.terminal_id,
            "event_id": str(event.event_id),
            "staff_pin_id": pin.id,
            "occurred_at": when,
            "received_at": now,
        },
    )
    if fresh:
        policy = lockout_policy(session, actor.merchant_id, settings)
        state = after_failure(PinLockState(pin.failed_attempts, pin.locked_until), policy, when)
        pin.failed_attempts, pin.locked_until = state.failed_attempts, state.locked_until
    return PinFailureOutcome(
        event_id=event.event_id,
        status="counted" if fresh else "duplicate",
        locked_until=pin.locked_until,
    )
