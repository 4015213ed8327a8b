"""Owner endpoints for tills: pairing codes, the list, revocation, and rejected ops."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from common.operations import ResolutionDecision, ResolveAttention
from common.outcome import Rejected
from sync_server.api.deps import MetaDep, NowDep, OwnerDep, PersonDep, SessionDep
from sync_server.api.schemas import links
from sync_server.api.schemas.common import IdPath, error_responses
from sync_server.api.schemas.sync import (
    MoveTerminal,
    PairingCodeResponse,
    TerminalListResponse,
    TerminalResponse,
)
from sync_server.errors import ApiError, not_found
from sync_server.models.sync import SyncOp, Terminal
from sync_server.repositories import programs as program_repo
from sync_server.repositories import sync_ops as sync_repo
from sync_server.services import attention_resolution, pairing
from sync_server.services.attention_resolution import Resolution, Resolver, resolve

router = APIRouter(prefix="/api/v1/terminals", tags=["terminals"])


def _terminal(t: Terminal) -> TerminalResponse:
    return TerminalResponse(
        id=t.id,
        store_id=t.store_id,
        name=t.name,
        created_at=t.created_at,
        last_seen_at=t.last_seen_at,
        last_pull_at=t.last_pull_at,
        revoked_at=t.revoked_at,
    )


@router.post(
    "/pairing-codes",
    status_code=201,
    responses={**error_responses(403), **links.CODE_ISSUED},
)
def issue_pairing_code(actor: OwnerDep, session: SessionDep, now: NowDep) -> PairingCodeResponse:
    """A one-time code (15 minutes) that pairs one new till to this store."""
    store = program_repo.store(session, actor.store_id)
    issued = pairing.issue_code(session, store, actor.user_id, now)
    return PairingCodeResponse(code=issued.code, expires_at=issued.expires_at, store_id=store.id)


@router.get("", responses=error_responses(403))
def list_terminals(actor: OwnerDep, session: SessionDep) -> TerminalListResponse:
    """Every till of the merchant."""
    return TerminalListResponse(
        terminals=[_terminal(t) for t in pairing.list_terminals(session, actor.merchant_id)]
    )


@router.post("/{terminal_id:int}/revoke", responses=error_responses(403, 404))
def revoke_terminal(
    terminal_id: IdPath, actor: OwnerDep, session: SessionDep, now: NowDep
) -> TerminalResponse:
    """The till's token stops working at once (401 everywhere); it must pair again."""
    terminal = pairing.revoke(session, actor.merchant_id, terminal_id, now)
    if terminal is None:
        raise not_found("Terminal")
    return _terminal(terminal)


@router.post("/{terminal_id:int}/move", responses=error_responses(403, 404, 422))
def move_terminal(
    terminal_id: IdPath, move: MoveTerminal, actor: OwnerDep, session: SessionDep
) -> TerminalResponse:
    """Serve the till to another store of the merchant. At its next pull it starts over:
    the old store's PINs, history and attention leave its cache, the new store's come.
    Ops it holds unsent are pushed, and counted, at the new store."""
    terminal = pairing.move(session, actor.merchant_id, terminal_id, move.store_id)
    if terminal is None:
        raise not_found("Terminal or store")
    return _terminal(terminal)


class AttentionItem(BaseModel):
    id: int
    terminal_id: int
    store_id: int
    op_id: str
    seq: int
    op_type: str
    card_number: str
    status: str
    code: str | None
    message: str | None
    client_time: datetime
    effective_time: datetime
    received_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None  # a staff PIN's name (at a till) or a login's email
    acknowledged_by_pin_id: int | None
    acknowledged_note: str | None
    resolution_id: str | None
    resolution_action: str | None  # reapply | dismiss
    resolution_reason: str | None
    resolved_at: datetime | None
    resolved_by: str | None  # a staff PIN's name (at a till) or the owner's email
    resolved_by_pin_id: int | None
    resolution_transaction_id: int | None  # the adjustment a re-apply wrote
    body: dict[str, Any]


class AttentionList(BaseModel):
    items: list[AttentionItem]


def _item(op: SyncOp) -> AttentionItem:
    return AttentionItem.model_validate(op, from_attributes=True)


@router.get("/attention", responses={**error_responses(403), **links.ATTENTION})
def attention(
    actor: PersonDep,
    session: SessionDep,
    all_stores: Annotated[bool, Query(description="owner only: every store")] = False,
    include_acknowledged: bool = False,
    include_resolved: Annotated[bool, Query(description="resolved items too")] = False,
) -> AttentionList:
    """Pushed operations the server rejected or flagged (e.g. an offline over-spend);
    a resolved item leaves the open list (it is acknowledged by its resolution)."""
    store_id = None if (all_stores and actor.is_owner) else actor.store_id
    ops = sync_repo.needing_attention(
        session, actor.merchant_id, store_id, include_acknowledged or include_resolved
    )
    return AttentionList(items=[_item(op) for op in ops])


@router.post("/attention/{item_id:int}/acknowledge", responses=error_responses(403, 404))
def acknowledge(
    item_id: IdPath, actor: PersonDep, session: SessionDep, now: NowDep
) -> AttentionItem:
    """A manager has seen it and dealt with it (the first acknowledgement stands; a till
    acknowledges with an ``attention.acknowledge`` op, see docs/sync-protocol.md)."""
    op = sync_repo.lock_for_merchant(session, actor.merchant_id, item_id)
    if op is None or (not actor.is_owner and op.store_id != actor.store_id):
        raise not_found("Item")
    if op.acknowledged_at is None:
        op.acknowledged_at = now
        op.acknowledged_by = sync_repo.email_of(session, actor.user_id)
    return _item(op)


def _given() -> dict[str, Any]:
    return {"not": {"anyOf": [{"type": "null"}, {"const": 0}]}}


_NONE = {"type": "null"}
# OpenAPI: what the decision's validator demands, so the document is the contract: a
# dismissal gives no amount; a re-apply exactly one non-zero amount.
_DECISIONS: dict[str, Any] = {
    "oneOf": [
        {
            "properties": {
                "action": {"const": "dismiss"},
                "stamps_delta": _NONE,
                "points_delta": _NONE,
            }
        },
        {
            "required": ["stamps_delta"],
            "properties": {
                "action": {"const": "reapply"},
                "stamps_delta": _given(),
                "points_delta": _NONE,
            },
        },
        {
            "required": ["points_delta"],
            "properties": {
                "action": {"const": "reapply"},
                "points_delta": _given(),
                "stamps_delta": _NONE,
            },
        },
    ]
}


class ResolveRequest(ResolutionDecision):
    """``resolution_id``: the caller's id for this resolution; the same again answers
    the same and applies once."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_DECISIONS)

    resolution_id: UUID


@router.post("/attention/{item_id:int}/resolve", responses=error_responses(403, 404, 409, 422))
def resolve_item(
    item_id: IdPath,
    body: ResolveRequest,
    actor: OwnerDep,
    session: SessionDep,
    now: NowDep,
    meta: MetaDep,
) -> AttentionItem:
    """Re-apply the refused op as a linked stamps/points adjustment, or dismiss it, with
    a reason (the owner; a till resolves with an ``attention.resolve`` op)."""
    op = attention_resolution.lock_item(session, actor.merchant_id, item_id)
    if op is None or op.code is None:
        raise not_found("Item")
    decision = ResolveAttention(op_id=UUID(op.op_id), **body.model_dump(exclude={"resolution_id"}))
    who = Resolver(name=sync_repo.email_of(session, actor.user_id))
    res = Resolution(
        op=decision, resolution_id=str(body.resolution_id), who=who, when=now, meta=meta
    )
    outcome = resolve(session, actor, op, res)
    if isinstance(outcome, Rejected):
        raise ApiError.from_rejected(outcome)
    return _item(op)
