"""Apply one card operation: the single path for the store API and for sync push.

Order matters and is the point of this module: lock the card row, then check the
staff PIN, then read the ledger facts, then decide with the common rules, then write
the card and its ledger entries, all in the caller's transaction.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from common.card_number import SERVER_NODE, make_card_number
from common.codes import Reason
from common.ledger import EntryDraft
from common.operations import EarnPoints, Enroll, Operation, VoidPoints, VoidStamps
from common.outcome import Applied, Rejected, reject
from common.program import ProgramRules, StoreClock
from common.qr import encode_qr
from common.rules import Facts, RuleContext, decide
from sync_server.actor import RequestMeta, StoreActor
from sync_server.config import Settings
from sync_server.models import Card, Customer, LedgerEntry, Merchant, StaffPin
from sync_server.repositories import cards as card_repo
from sync_server.repositories import ledger as ledger_repo
from sync_server.repositories import programs as program_repo
from sync_server.services import staff_pins
from sync_server.services.card_state import state_of, write_state
from sync_server.services.programs import lockout_policy, rules_of


@dataclass(frozen=True, slots=True)
class OpApplied:
    card: Card
    entries: list[LedgerEntry]
    staff: StaffPin | None
    rules: ProgramRules


OpResult = OpApplied | Rejected


@dataclass(frozen=True, slots=True)
class OpRequest:
    actor: StoreActor
    op: Operation
    staff: staff_pins.StaffProof | None
    meta: RequestMeta
    now: datetime
    client_time: datetime | None = None
    allow_overdraft: bool = False


def apply_operation(session: Session, req: OpRequest, settings: Settings) -> OpResult:
    program = program_repo.for_merchant(session, req.actor.merchant_id)
    if program is None:
        return reject(Reason.PROGRAM_NOT_FOUND)
    rules = rules_of(program)
    card = card_repo.lock_by_number(session, req.actor.merchant_id, req.op.card_number)
    if card is None:
        return reject(Reason.CARD_NOT_FOUND)
    staff = _staff(session, req, rules, settings)
    if isinstance(staff, Rejected):
        return staff
    decision = decide(
        _context(session, req, rules), state_of(card), req.op, _facts(session, card, req.op)
    )
    if isinstance(decision, Rejected):
        return decision
    return _record(session, req, card, decision, staff, rules)


def enroll(session: Session, req: OpRequest, customer: Customer, settings: Settings) -> OpResult:
    """Open a card for a customer already resolved (and row-locked) by the caller."""
    program = program_repo.for_merchant(session, req.actor.merchant_id)
    if program is None:
        return reject(Reason.PROGRAM_NOT_FOUND)
    rules = rules_of(program)
    assert isinstance(req.op, Enroll)
    if card_repo.get_by_customer(session, customer.id) is not None:
        return reject(Reason.CUSTOMER_ALREADY_ENROLLED, customer_id=customer.id)
    if card_repo.get_by_number(session, req.actor.merchant_id, req.op.card_number) is not None:
        return reject(Reason.CARD_ALREADY_EXISTS)
    # Who confirmed it, when someone did (a till's PIN): checked and recorded like any
    # other op. The store API enrolls under a manager's own login, without a PIN.
    staff = None if req.staff is None else _staff(session, req, rules, settings)
    if isinstance(staff, Rejected):
        return staff
    decision = decide(_context(session, req, rules), None, req.op)
    if isinstance(decision, Rejected):
        return decision
    merchant = session.get_one(Merchant, req.actor.merchant_id)
    card = Card(
        merchant_id=req.actor.merchant_id,
        customer_id=customer.id,
        card_number=req.op.card_number,
        qr_code_data=encode_qr(req.op.card_number, bytes.fromhex(merchant.qr_key)),
        enrolled_at_store_id=req.actor.store_id,
    )
    card.customer = customer
    session.add(card)
    return _record(session, req, card, decision, staff, rules)


def allocate_card_number(session: Session) -> str:
    return make_card_number(SERVER_NODE, card_repo.next_serial(session, SERVER_NODE))


def _staff(
    session: Session, req: OpRequest, rules: ProgramRules, settings: Settings
) -> StaffPin | Rejected | None:
    """The owner acts under their own login; everyone else confirms with a staff PIN."""
    if req.staff is None:
        if rules.require_staff_pin and not req.actor.is_owner:
            return reject(Reason.STAFF_PIN_REQUIRED)
        return None
    policy = lockout_policy(session, req.actor.merchant_id, settings)
    return staff_pins.authenticate(session, req.actor.store_id, req.staff, policy, req.now)


def _context(session: Session, req: OpRequest, rules: ProgramRules) -> RuleContext:
    store = program_repo.store(session, req.actor.store_id)
    return RuleContext(
        program=rules,
        clock=StoreClock(store.timezone),
        now=req.now,
        allow_overdraft=req.allow_overdraft,
    )


def _facts(session: Session, card: Card, op: Operation) -> Facts:
    match op:
        case EarnPoints(order_reference=str() as ref):
            return Facts(
                order_reference_used=ledger_repo.order_reference_used(session, card.id, ref)
            )
        case (
            VoidStamps(original_transaction_id=int() as entry_id)
            | VoidPoints(original_transaction_id=int() as entry_id)
        ):
            return Facts(original=ledger_repo.original_by_id(session, card.id, entry_id))
        case VoidPoints(order_reference=str() as ref):
            return Facts(original=ledger_repo.original_by_order_reference(session, card.id, ref))
    return Facts()


def _record(
    session: Session,
    req: OpRequest,
    card: Card,
    decision: Applied,
    staff: StaffPin | None,
    rules: ProgramRules,
) -> OpApplied:
    write_state(card, decision.card)
    session.flush()
    entries = [_entry(req, card, draft, staff) for draft in decision.entries]
    ledger_repo.add(session, entries)
    if staff is not None:
        staff.last_used_at = req.now
    return OpApplied(card=card, entries=entries, staff=staff, rules=rules)


def _entry(req: OpRequest, card: Card, draft: EntryDraft, staff: StaffPin | None) -> LedgerEntry:
    return LedgerEntry(
        **entry_values(
            draft,
            merchant_id=card.merchant_id,
            card_id=card.id,
            actor=req.actor,
            staff_pin_id=staff.id if staff else None,
            now=req.now,
            client_time=req.client_time,
            meta=req.meta,
        )
    )


def entry_values(
    draft: EntryDraft,
    *,
    merchant_id: int,
    card_id: int,
    actor: StoreActor,
    staff_pin_id: int | None,
    now: datetime,
    client_time: datetime | None,
    meta: RequestMeta,
) -> dict[str, Any]:
    """The columns of one ledger row: who, where and when, around what the rules decided."""
    return {
        "merchant_id": merchant_id,
        "card_id": card_id,
        "store_id": actor.store_id,
        "staff_pin_id": staff_pin_id,
        "user_id": actor.user_id,
        "type": draft.type.value,
        "stamps_delta": draft.stamps_delta,
        "points_delta": draft.points_delta,
        "stamp_count_after": draft.stamp_count_after,
        "points_balance_after": draft.points_balance_after,
        "purchase_amount_cents": draft.purchase_amount_cents,
        "order_reference": draft.order_reference,
        "reward_id": draft.reward_id,
        "reward_name": draft.reward_name,
        "related_transaction_id": draft.related_transaction_id,
        "notes": draft.notes,
        "client_time": client_time,
        "created_at": now,
        "ip_address": meta.ip_address,
        "user_agent": (meta.user_agent or "")[:300] or None,
    }
