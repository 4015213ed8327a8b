"""``attention.acknowledge`` pushed by a till: staff have seen an op of this till that
the server refused (or flagged) and dealt with it.

The op names its target by ``op_id``, looked up among this till's own pushed ops on the
attention list (an op of another till or merchant is simply not found). It locks no
card, writes no ledger entry and carries no redeemed amount, so the batch's in-memory
path and the offline limits never see it. Who may: any active staff PIN of the till's
store, named on the op and recorded by id and name (docs/sync-protocol.md, "Attention
list"); the server checks it, whatever the program says about PINs.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from common.codes import Reason
from common.operations import AcknowledgeAttention
from common.outcome import Rejected, reject
from sync_server.actor import StoreActor
from sync_server.models import StaffPin
from sync_server.repositories import pins as pin_repo
from sync_server.repositories import sync_ops as sync_repo
from sync_server.sync.messages import PushedOp
from sync_server.sync.push_records import Record, rejected_record


def acknowledge(
    session: Session, actor: StoreActor, item: PushedOp, op: AcknowledgeAttention, when: datetime
) -> Record:
    """Applied (first time, or already acknowledged: a no-op), or refused with a code."""
    assert actor.terminal_id is not None
    staff = staff_of(session, actor, item)
    if isinstance(staff, Rejected):
        return rejected_record(staff)
    target = sync_repo.lock_own_attention_item(session, actor.terminal_id, str(op.op_id))
    if target is None:
        return rejected_record(reject(Reason.ATTENTION_ITEM_NOT_FOUND, op_id=str(op.op_id)))
    if target.acknowledged_at is not None:
        return Record("applied", result={"detail": {"already_acknowledged": True}})
    target.acknowledged_at = when
    target.acknowledged_by = staff.name
    target.acknowledged_by_pin_id = staff.id
    target.acknowledged_note = op.note
    return Record("applied", result={"detail": {"already_acknowledged": False}})


def staff_of(session: Session, actor: StoreActor, item: PushedOp) -> StaffPin | Rejected:
    """The op's staff PIN: named, of this till's store, active (whatever the program says)."""
    if item.staff_pin_id is None:
        return reject(Reason.STAFF_PIN_REQUIRED)
    pin = pin_repo.get(session, actor.store_id, item.staff_pin_id)
    if pin is None:
        return reject(Reason.STAFF_PIN_NOT_FOUND)
    return pin if pin.is_active else reject(Reason.STAFF_PIN_INVALID, inactive=True)
