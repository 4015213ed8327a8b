"""``attention.resolve`` pushed by a till: re-apply or dismiss an op of this till on
the attention list (sync_server/services/attention_resolution.py does the work).

Idempotent twice over: the push claim makes a replay of the op ``duplicate``, and the
item records the resolving op's id, so it is resolved once whatever arrives. Who may:
an active staff PIN of the till's store, named, as for acknowledging; a re-apply from a
till is held to what the refused op asked (docs/sync-protocol.md, "Resolution")."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from common.codes import Reason
from common.operations import ResolveAttention
from common.outcome import Rejected, reject
from sync_server.actor import RequestMeta, StoreActor
from sync_server.models import Card
from sync_server.repositories import sync_ops as sync_repo
from sync_server.services.attention_resolution import Resolution, Resolver, resolve
from sync_server.sync.messages import PushedOp
from sync_server.sync.push_attention import staff_of
from sync_server.sync.push_records import Record, rejected_record


@dataclass(frozen=True, slots=True)
class Pushed:
    record: Record
    card: Card | None  # the card a re-apply wrote, for the batch's later decisions


def resolve_pushed(
    session: Session,
    actor: StoreActor,
    item: PushedOp,
    op: ResolveAttention,
    when: datetime,
    meta: RequestMeta,
) -> Pushed:
    assert actor.terminal_id is not None
    staff = staff_of(session, actor, item)
    if isinstance(staff, Rejected):
        return Pushed(rejected_record(staff), None)
    target = sync_repo.lock_own_attention_item(session, actor.terminal_id, str(op.op_id))
    if target is None:
        refused = reject(Reason.ATTENTION_ITEM_NOT_FOUND, op_id=str(op.op_id))
        return Pushed(rejected_record(refused), None)
    res = Resolution(
        op=op,
        resolution_id=str(item.op_id),
        who=Resolver(name=staff.name, pin_id=staff.id, at_till=True),
        when=when,
        meta=meta,
        nowait=True,
    )
    outcome = resolve(session, actor, target, res)
    if isinstance(outcome, Rejected):
        return Pushed(rejected_record(outcome), None)
    entry = target.resolution_transaction_id
    detail = {"action": op.action, "transaction_id": entry}
    record = Record(
        "applied", result={"detail": detail, "transaction_ids": [entry] if entry else []}
    )
    return Pushed(record, outcome.card)
