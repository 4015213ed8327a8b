"""What a pushed op leaves behind: its claim row, the outcome stored on it, and the
answer a till gets (again, unchanged, for every replay)."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from common.codes import MESSAGES, Reason
from common.erasure import erased_body_hash
from common.operations import AttentionOperation, Operation, TillOperation
from common.outcome import Rejected, reject
from sync_server.actor import StoreActor
from sync_server.models.sync import SyncOp
from sync_server.storable import safe_text, storable
from sync_server.sync.messages import CardBalances, OpOutcome, PushedOp

OPERATION: TypeAdapter[Operation] = TypeAdapter(Operation)
PUSHED: TypeAdapter[Operation | AttentionOperation] = TypeAdapter(TillOperation)


def effective_time(
    client_time: datetime, sent_at: datetime, now: datetime, max_age: timedelta
) -> datetime:
    """When an op happened, on the server's clock.

    The till's clock may be hours off, but it is off by the same amount when it made
    the op and when it sent the batch (``sent_at``), so the skew cancels out. The result
    is clamped: never in the future, never older than the offline window. The op's age
    is clamped before it is subtracted, so clocks at year 1 or 9999 cannot overflow."""
    age = min(max(sent_at - client_time, timedelta(0)), max_age)
    return now - age


def body_hash(item: PushedOp) -> str:
    """Over the body as sent (NaN, lone surrogates and all, escaped to ASCII), so an
    altered replay is told apart even where the stored copy had to be escaped."""
    canonical = json.dumps(item.body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def parse_operation(item: PushedOp) -> Operation | AttentionOperation | Rejected:
    """Each op is validated on its own: one malformed op must not fail the batch."""
    try:
        return PUSHED.validate_python(item.body)
    except ValidationError as exc:
        errors = [
            safe_text(f"{'.'.join(map(str, e['loc']))}: {e['msg']}", 300) for e in exc.errors()
        ][:5]
        return reject(Reason.INVALID_OPERATION, errors=errors)


def claim_values(
    actor: StoreActor, item: PushedOp, digest: str, when: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "merchant_id": actor.merchant_id,
        "store_id": actor.store_id,
        "terminal_id": actor.terminal_id,
        "op_id": str(item.op_id),
        "seq": item.seq,
        "body_hash": digest,
        "body": storable(item.body),
        "op_type": safe_text(str(item.body.get("type", "")), 32),
        "card_number": safe_text(str(item.body.get("card_number", "")), 16),
        "staff_pin_id": item.staff_pin_id,
        "offline": item.offline,
        "client_time": item.client_time,
        "effective_time": when,
        "received_at": now,
        "status": "pending",
        "result": {},
        "change_txid": 0,
    }


class HasBalances(Protocol):
    @property
    def card_number(self) -> str: ...
    @property
    def stamp_count(self) -> int: ...
    @property
    def points_balance(self) -> int: ...
    @property
    def is_active(self) -> bool: ...


def balances(card: HasBalances) -> CardBalances:
    return CardBalances(
        card_number=card.card_number,
        stamp_count=card.stamp_count,
        points_balance=card.points_balance,
        is_active=card.is_active,
    )


@dataclass
class Record:
    """The outcome kept on a claimed row."""

    status: str
    code: str | None = None
    message: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    redeemed_points: int | None = None


def rejected_record(rejected: Rejected) -> Record:
    return Record("rejected", rejected.code, rejected.message, {"detail": rejected.detail})


def applied_record(
    card: HasBalances, transaction_ids: list[int], merged_into: str | None = None
) -> Record:
    record = Record("applied", result={"card": balances(card).model_dump()})
    if merged_into is not None:
        record.result["merged_into"] = merged_into
        return record
    record.result["transaction_ids"] = transaction_ids
    if card.points_balance < 0 or card.stamp_count < 0:
        record.code = Reason.OFFLINE_OVERSPEND
        record.message = MESSAGES[Reason.OFFLINE_OVERSPEND]
    return record


def outcome(op_id: Any, seq: int, record: Record | SyncOp, status: str) -> OpOutcome:
    """The answer for a stored outcome; ``status`` is "duplicate" for a replay."""
    card = record.result.get("card")
    detail = dict(record.result.get("detail", {}))
    if "merged_into" in record.result:
        detail["merged_into"] = record.result["merged_into"]
    return OpOutcome(
        op_id=op_id,
        seq=seq,
        status=status,
        original_status=record.status if status == "duplicate" else None,
        code=record.code,
        message=record.message,
        transaction_ids=record.result.get("transaction_ids", []),
        card=CardBalances(**card) if card else None,
        detail=detail,
    )


def refused(item: PushedOp, rejected: Rejected) -> OpOutcome:
    """Refused without being stored: the (op_id, seq) slot belongs to another op."""
    return OpOutcome(
        op_id=item.op_id,
        seq=item.seq,
        status="rejected",
        code=rejected.code,
        message=rejected.message,
        detail=rejected.detail,
    )


def replayed(
    item: PushedOp, digest: str, existing: tuple[str, int, Record | SyncOp] | None
) -> OpOutcome:
    """An op whose claim was taken, given (body hash, seq, outcome) of the claim: the
    same op again gets its stored answer; another op in a taken slot is refused and
    nothing is stored."""
    if existing is None:
        return refused(item, reject(Reason.SEQ_REUSED, seq=item.seq))
    stored_hash, stored_seq, record = existing
    same = stored_hash == digest or stored_hash == erased_body_hash(item.body)
    if not same or stored_seq != item.seq:
        return refused(item, reject(Reason.OP_ID_REUSED, op_id=str(item.op_id)))
    return outcome(item.op_id, item.seq, record, "duplicate")
