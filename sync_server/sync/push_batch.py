"""A terminal's pushed batch, applied in one transaction with a handful of statements.

1. Claim every (terminal, op_id) with one INSERT … ON CONFLICT DO NOTHING RETURNING;
   an op whose claim exists is a replay and gets its stored outcome back.
2. Lock, up front, every row of another till the batch may write, each kind in one
   ordered SELECT … FOR UPDATE (the lock order below), and read the facts the rules
   need (order references already earned) in one query.
3. Decide stamps, earns and online redemptions in memory, in seq order, with the same
   common/ rules the till ran; everything else goes through the store API's ORM path
   (push_single), after the pending writes are flushed so it sees them.
4. Write card rows, ledger rows and outcomes in bulk.

A refusal is an outcome stored on the claim, not a rollback, so the whole batch can
share one transaction; the claims, the effects and the outcomes commit together or
not at all, which is what makes a replay safe.

Lock order (docs/sync-protocol.md): the till's own claims (seq order); cards, in id
order: those the ops name, the cards their merged numbers resolve to, and the cards
of the customers the batch enrolls (an enrollment may merge into one); staff PINs, in
id order: those of the ops and of the wrong PINs pushed with them; the enrollments'
existing customers, in id order; then rows of this till only (its number allocator,
its attention items); the merchant's ledger chain head last, at the seal. Everything
the batch touches afterwards is already held. A card that appears after step 2 (a
concurrent enrollment) is taken without waiting (NOWAIT): held elsewhere, the push
fails with 55P03 and sync.py runs it again, which locks it in order.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from common.card import CardState
from common.codes import Reason
from common.operations import (
    AcknowledgeAttention,
    AddStamp,
    AdjustPoints,
    AttentionOperation,
    EarnPoints,
    Enroll,
    Operation,
    RedeemPoints,
    RedeemStamps,
    ResolveAttention,
)
from common.outcome import Rejected, reject
from common.program import ProgramRules, StoreClock
from common.rules import Facts, RuleContext, decide
from sync_server.actor import RequestMeta, StoreActor
from sync_server.config import Settings
from sync_server.ledger_chain import mark_unsealed, seal
from sync_server.models.sync import SyncOp
from sync_server.repositories import cards as card_repo
from sync_server.repositories import programs as program_repo
from sync_server.repositories import push_bulk as bulk
from sync_server.services.card_state import state_of
from sync_server.services.operations import entry_values
from sync_server.services.programs import rules_of
from sync_server.sync import push_attention, push_resolution
from sync_server.sync.messages import OpOutcome, PushedOp, PushRequest
from sync_server.sync.offline import OfflinePolicy, offline_policy
from sync_server.sync.push_records import (
    Record,
    applied_record,
    body_hash,
    claim_values,
    effective_time,
    outcome,
    parse_operation,
    rejected_record,
    replayed,
)
from sync_server.sync.push_single import apply_one

_IN_MEMORY = (AddStamp, EarnPoints, RedeemStamps, RedeemPoints)
_NO_RULES = ProgramRules()  # no program: every op takes the ORM path, which refuses it


@dataclass
class _Op:
    item: PushedOp
    digest: str
    when: datetime
    row_id: int
    op: Operation | AttentionOperation | Rejected
    record: Record | None = None
    stored: bool = False


@dataclass
class _Batch:
    """The batch's locked cards and facts, and the writes not yet sent."""

    session: Session
    actor: StoreActor
    meta: RequestMeta
    now: datetime
    rules: ProgramRules
    clock: StoreClock
    cards: bulk.LockedCards
    staff: dict[int, bool]
    earned: set[tuple[int, str]]
    dirty: dict[int, CardState] = field(default_factory=dict)
    entries: list[tuple[_Op, dict[str, Any]]] = field(default_factory=list)
    staff_used: dict[int, datetime] = field(default_factory=dict)
    ops: list["_Op"] = field(default_factory=list)

    def can_decide(self, op: Operation | AttentionOperation | Rejected, item: PushedOp) -> bool:
        if not isinstance(op, _IN_MEMORY) or op.card_number not in self.cards.ids:
            return False
        return not (item.offline and isinstance(op, RedeemPoints | RedeemStamps))

    def decide(self, pending: _Op) -> Record:
        op, item = pending.op, pending.item
        assert isinstance(op, _IN_MEMORY)
        card_id = self.cards.ids[op.card_number]
        refused = self._staff_refusal(item)
        if refused is not None:
            return rejected_record(refused)
        facts = Facts()
        if isinstance(op, EarnPoints) and op.order_reference is not None:
            facts = Facts(order_reference_used=(card_id, op.order_reference) in self.earned)
        ctx = RuleContext(program=self.rules, clock=self.clock, now=pending.when)
        decision = decide(ctx, self.cards.states[card_id], op, facts)
        if isinstance(decision, Rejected):
            return rejected_record(decision)
        self.cards.states[card_id] = self.dirty[card_id] = decision.card
        if isinstance(op, EarnPoints) and op.order_reference is not None:
            self.earned.add((card_id, op.order_reference))
        if item.staff_pin_id is not None:
            last = self.staff_used.get(item.staff_pin_id, pending.when)
            self.staff_used[item.staff_pin_id] = max(last, pending.when)
        for draft in decision.entries:
            values = entry_values(
                draft,
                merchant_id=self.actor.merchant_id,
                card_id=card_id,
                actor=self.actor,
                staff_pin_id=item.staff_pin_id,
                now=pending.when,
                client_time=item.client_time,
                meta=self.meta,
            )
            self.entries.append((pending, values))
        record = applied_record(decision.card, [])
        if isinstance(op, RedeemPoints | RedeemStamps):
            record.redeemed_points = -sum(
                e.points_delta or e.stamps_delta for e in decision.entries
            )
        return record

    def _staff_refusal(self, item: PushedOp) -> Rejected | None:
        """As the store API decides it for a PIN the till already checked."""
        if item.staff_pin_id is None:
            if self.rules.require_staff_pin and not self.actor.is_owner:
                return reject(Reason.STAFF_PIN_REQUIRED)
            return None
        active = self.staff.get(item.staff_pin_id)
        if active is None:
            return reject(Reason.STAFF_PIN_NOT_FOUND)
        return None if active else reject(Reason.STAFF_PIN_INVALID, inactive=True)

    def flush(self, *, last: bool = False) -> None:
        """Send the pending writes. Entries get their ids first, so their ops' outcomes
        can name them; the last flush chains them as it inserts them (the chain head's
        lock is the transaction's last), an earlier one leaves them to the seal at commit.
        """
        ids = bulk.allocate_entry_ids(self.session, len(self.entries))
        rows = []
        for (pending, values), entry_id in zip(self.entries, ids, strict=True):
            assert pending.record is not None
            pending.record.result["transaction_ids"].append(entry_id)
            rows.append({"id": entry_id, **values})
        self.entries.clear()
        bulk.write_cards(self.session, self.dirty, self.now)
        self.dirty.clear()
        bulk.touch_staff(self.session, self.staff_used)
        self.staff_used.clear()
        if last:
            bulk.store_outcomes(self.session, [_stored(p) for p in self.ops if not p.stored])
            seal(self.session, rows)
        elif rows:
            mark_unsealed(self.session)
            rows = [
                {**row, "chain_seq": None, "prev_hash": None, "entry_hash": None} for row in rows
            ]
        bulk.insert_entries(self.session, rows)


def apply_batch(
    session: Session,
    actor: StoreActor,
    request: PushRequest,
    meta: RequestMeta,
    settings: Settings,
    now: datetime,
) -> list[OpOutcome]:
    assert actor.terminal_id is not None
    items = sorted(request.ops, key=lambda o: o.seq)
    wrong_pins = {ev.staff_pin_id for ev in request.pin_failures}
    if not items:
        bulk.lock_staff_pins(session, actor.store_id, wrong_pins)  # counted after, in order
        return []
    stamped = [(i, body_hash(i), _when(i, request, settings, now)) for i in items]
    claims = bulk.claim(session, [claim_values(actor, i, d, w, now) for i, d, w in stamped])
    fresh: dict[str, _Op] = {}
    for item, digest, when in stamped:
        key = str(item.op_id)
        if key in claims and key not in fresh:
            fresh[key] = _Op(item, digest, when, claims[key], _parsed(item))
    _apply_fresh(session, actor, list(fresh.values()), wrong_pins, meta, settings, now)
    taken = [str(i.op_id) for i, _, _ in stamped if str(i.op_id) not in fresh]
    stored = bulk.existing_ops(session, actor.terminal_id, taken) if taken else {}
    answers: list[OpOutcome] = []
    for item, digest, _ in stamped:
        key = str(item.op_id)
        mine = fresh.get(key)
        if mine is not None and mine.item is item:
            assert mine.record is not None
            answers.append(outcome(item.op_id, item.seq, mine.record, mine.record.status))
        elif mine is not None:  # the same op twice in one batch
            assert mine.record is not None
            answers.append(replayed(item, digest, (mine.digest, mine.item.seq, mine.record)))
        else:
            row: SyncOp | None = stored.get(key)
            answers.append(replayed(item, digest, (row.body_hash, row.seq, row) if row else None))
    return answers


def _when(item: PushedOp, request: PushRequest, settings: Settings, now: datetime) -> datetime:
    return effective_time(item.client_time, request.sent_at, now, settings.offline_max_age)


def _parsed(item: PushedOp) -> Operation | AttentionOperation | Rejected:
    op = parse_operation(item)
    if isinstance(op, AdjustPoints):  # owner only, never from a till
        return reject(Reason.OPERATION_NOT_ALLOWED)
    return op


def _apply_fresh(
    session: Session,
    actor: StoreActor,
    ops: list[_Op],
    wrong_pins: set[int],
    meta: RequestMeta,
    settings: Settings,
    now: datetime,
) -> None:
    program = program_repo.for_merchant(session, actor.merchant_id)
    policy = offline_policy(session, actor.merchant_id, settings)
    named = {
        p.op.card_number
        for p in ops
        if not isinstance(p.op, Rejected | Enroll | AcknowledgeAttention | ResolveAttention)
    }
    enrolling = {p.op.customer.email for p in ops if isinstance(p.op, Enroll)}
    merged = bulk.cards_of_customers(session, actor.merchant_id, enrolling)
    # The lock order (module docstring): cards, staff PINs, customers.
    cards = (
        bulk.lock_cards(session, actor.merchant_id, named, merged)
        if program
        else bulk.LockedCards()
    )
    staff = bulk.lock_staff_pins(session, actor.store_id, _staff_ids(ops) | wrong_pins)
    bulk.lock_customers(session, actor.merchant_id, enrolling)
    batch = _Batch(
        session=session,
        actor=actor,
        meta=meta,
        now=now,
        rules=rules_of(program) if program else _NO_RULES,
        clock=StoreClock(program_repo.store(session, actor.store_id).timezone),
        cards=cards,
        staff=staff,
        earned=bulk.earned_order_references(session, _earn_refs(ops, cards)),
        ops=ops,
    )
    for pending in ops:
        if isinstance(pending.op, Rejected):
            pending.record = rejected_record(pending.op)
        elif isinstance(pending.op, AcknowledgeAttention):  # no card, no ledger: on its own
            pending.record = push_attention.acknowledge(
                session, actor, pending.item, pending.op, pending.when
            )
        elif isinstance(pending.op, ResolveAttention):  # its card is named by the item
            batch.flush()
            pushed = push_resolution.resolve_pushed(
                session, actor, pending.item, pending.op, pending.when, meta
            )
            pending.record = pushed.record
            if pushed.card is not None:
                batch.cards.add(pushed.card.id, state_of(pushed.card), pushed.card.card_number)
        elif program is not None and batch.can_decide(pending.op, pending.item):
            pending.record = batch.decide(pending)
        else:
            batch.flush()
            pending.record = _one(session, actor, pending, meta, settings, policy, batch)
            # Stored at once: the offline limits of a later op count this one.
            bulk.store_outcomes(session, [_stored(pending)])
            pending.stored = True
    batch.flush(last=True)


def _one(
    session: Session,
    actor: StoreActor,
    pending: _Op,
    meta: RequestMeta,
    settings: Settings,
    policy: OfflinePolicy,
    batch: _Batch,
) -> Record:
    assert not isinstance(pending.op, Rejected | AttentionOperation)
    number = pending.op.card_number
    if not isinstance(pending.op, Enroll) and number not in batch.cards.ids:
        # Not there at the up-front lock (enrolled since, or by this batch): the
        # batch holds PINs already, so it must not queue for a card now.
        card_repo.lock_by_number(session, actor.merchant_id, number, nowait=True)
    result = apply_one(
        session, actor, pending.item, pending.op, pending.when, meta, settings, policy
    )
    session.flush()
    if result.card is not None:
        # The ORM wrote this card; later ops of the batch decide from what it holds now.
        batch.cards.add(result.card.id, state_of(result.card), pending.op.card_number)
    return result.record


def _stored(pending: _Op) -> dict[str, Any]:
    record = pending.record
    assert record is not None
    return {
        "id": pending.row_id,
        "status": record.status,
        "code": record.code,
        "message": record.message,
        "result": record.result,
        "redeemed_points": record.redeemed_points,
    }


def _staff_ids(ops: list[_Op]) -> set[int]:
    return {p.item.staff_pin_id for p in ops if p.item.staff_pin_id is not None}


def _earn_refs(ops: list[_Op], cards: bulk.LockedCards) -> set[tuple[int, str]]:
    return {
        (cards.ids[p.op.card_number], p.op.order_reference)
        for p in ops
        if isinstance(p.op, EarnPoints)
        and p.op.order_reference is not None
        and p.op.card_number in cards.ids
    }
