"""After a chaos run: replay every applied op, in ledger order, through the same common/
rules on a model, and compare with what the database holds."""

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.card import CardState
from common.ledger import OriginalEntry, TransactionType
from common.operations import (
    EarnPoints,
    Enroll,
    Operation,
    RedeemPoints,
    RedeemStamps,
    VoidPoints,
    VoidStamps,
)
from common.outcome import Applied
from common.program import StoreClock
from common.rules import Facts, RuleContext, decide
from sync_server.models import Card, LedgerEntry, Program, Store
from sync_server.models.sync import SyncOp
from sync_server.services.card_state import state_of
from sync_server.services.programs import rules_of
from sync_server.sync.push import OPERATION

_VOIDS = {TransactionType.POINTS_VOIDED: "points", TransactionType.STAMP_VOIDED: "stamps"}


@dataclass
class Verdict:
    applied: int = 0
    rejected: int = 0
    lost: int = 0
    double_applied: int = 0
    model_mismatches: list[str] = field(default_factory=list)
    negative_without_policy: int = 0


@dataclass
class _ModelLedger:
    entries: dict[int, LedgerEntry] = field(default_factory=dict)
    refs: set[tuple[str, str]] = field(default_factory=set)
    voided: dict[int, int] = field(default_factory=dict)
    card_numbers: dict[int, str] = field(default_factory=dict)


def verify(session: Session, initial: dict[str, CardState], generated_op_ids: set[str]) -> Verdict:
    verdict = Verdict()
    ops = session.scalars(select(SyncOp).order_by(SyncOp.id)).all()
    seen = {op.op_id for op in ops if op.status in ("applied", "rejected")}
    verdict.lost = len(generated_op_ids - seen)
    verdict.applied = sum(op.status == "applied" for op in ops)
    verdict.rejected = sum(op.status == "rejected" for op in ops)
    ledger = {e.id: e for e in session.scalars(select(LedgerEntry))}
    claimed = [tid for op in ops for tid in op.result.get("transaction_ids", [])]
    setup_ids = {e.id for e in ledger.values() if e.user_id is not None}
    verdict.double_applied = (len(claimed) - len(set(claimed))) + len(
        set(ledger) - set(claimed) - setup_ids
    )
    _replay(session, ops, ledger, initial, verdict)
    overspent = {op.result["card"]["card_number"] for op in ops if op.code == "OFFLINE_OVERSPEND"}
    for card in session.scalars(select(Card)):
        if (card.points_balance < 0 or card.stamp_count < 0) and card.card_number not in overspent:
            verdict.negative_without_policy += 1
    return verdict


def _replay(
    session: Session,
    ops: Any,
    ledger: dict[int, LedgerEntry],
    initial: dict[str, CardState],
    verdict: Verdict,
) -> None:
    program = rules_of(session.scalars(select(Program)).one())
    zones = {s.id: s.timezone for s in session.scalars(select(Store))}
    aliases = {op.card_number: op.result["merged_into"] for op in ops if "merged_into" in op.result}
    states, books = dict(initial), _ModelLedger()
    books.card_numbers = {c.id: c.card_number for c in session.scalars(select(Card))}
    applied = sorted(
        (op for op in ops if op.status == "applied" and op.result.get("transaction_ids")),
        key=lambda op: min(op.result["transaction_ids"]),
    )
    for op in applied:
        body = OPERATION.validate_python(op.body)
        number = aliases.get(body.card_number, body.card_number)
        ctx = RuleContext(
            program,
            StoreClock(zones[op.store_id]),
            op.effective_time,
            allow_overdraft=op.offline and isinstance(body, RedeemPoints | RedeemStamps),
        )
        state = states.get(number)
        decision = decide(ctx, state, body, _facts(body, number, books, ledger))
        ids = op.result["transaction_ids"]
        if not isinstance(decision, Applied) or len(decision.entries) != len(ids):
            verdict.model_mismatches.append(f"{op.op_id} {body.type}: model says {decision}")
            continue
        for draft, tid in zip(decision.entries, ids, strict=True):
            real = ledger[tid]
            if (draft.points_delta, draft.stamps_delta, draft.type.value) != (
                real.points_delta,
                real.stamps_delta,
                real.type,
            ):
                verdict.model_mismatches.append(f"{op.op_id}: entry {tid} differs")
            books.entries[tid] = real
            if draft.related_transaction_id is not None:
                kind = _VOIDS[TransactionType(real.type)]
                amount = -real.points_delta if kind == "points" else -real.stamps_delta
                books.voided[draft.related_transaction_id] = (
                    books.voided.get(draft.related_transaction_id, 0) + amount
                )
        if isinstance(body, EarnPoints) and body.order_reference:
            books.refs.add((number, body.order_reference))
        states[number] = (
            replace(decision.card, card_number=number)
            if isinstance(body, Enroll)
            else decision.card
        )
    for card in session.scalars(select(Card)):
        model = states.get(card.card_number)
        if model is None or model != state_of(card):
            verdict.model_mismatches.append(
                f"card {card.card_number}: model {model} != db {state_of(card)}"
            )


def _facts(
    body: Operation, number: str, books: _ModelLedger, ledger: dict[int, LedgerEntry]
) -> Facts:
    if isinstance(body, EarnPoints) and body.order_reference:
        return Facts(order_reference_used=(number, body.order_reference) in books.refs)
    original_id: int | None = None
    if isinstance(body, VoidPoints | VoidStamps) and body.original_transaction_id is not None:
        original_id = body.original_transaction_id
    elif isinstance(body, VoidPoints) and body.order_reference is not None:
        original_id = next(
            (
                tid
                for tid, e in books.entries.items()
                if e.type == "POINTS_EARNED"
                and e.order_reference == body.order_reference
                and _number_of(e, books) == number
            ),
            None,
        )
    if original_id is None or original_id not in books.entries:
        return Facts()
    e = books.entries[original_id]
    if _number_of(e, books) != number:
        return Facts()
    kind = TransactionType(e.type)
    done = books.voided.get(original_id, 0)
    return Facts(
        original=OriginalEntry(
            id=e.id,
            type=kind,
            stamps_delta=e.stamps_delta,
            points_delta=e.points_delta,
            stamps_already_voided=done if kind is TransactionType.STAMP_EARNED else 0,
            points_already_voided=done if kind is TransactionType.POINTS_EARNED else 0,
        )
    )


def _number_of(entry: LedgerEntry, books: _ModelLedger) -> str:
    return books.card_numbers[entry.card_id]
