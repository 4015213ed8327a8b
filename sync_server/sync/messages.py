"""The push protocol's messages: what a till sends and what it is answered. The HTTP
routes translate to and from these; the core never sees a request object."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool

from sync_server.json_body import MAX_JSON_INT, IsoDateTime, JsonInt, Strict

MAX_BATCH = 500


class PushedOp(Strict):
    op_id: UUID
    seq: JsonInt = Field(ge=1, le=MAX_JSON_INT)
    staff_pin_id: JsonInt | None = Field(default=None, ge=1, le=2**31 - 1)
    client_time: IsoDateTime
    offline: StrictBool = Field(default=False, description="made while the till was offline")
    snapshot_age_s: JsonInt | None = Field(
        default=None, ge=0, le=10**9, description="age of the till's cache when it was made"
    )
    body: dict[str, Any] = Field(
        description=(
            "the operation, one of common/operations.py (stamp.add, stamp.redeem, stamp.void, "
            "points.earn, points.redeem, points.void, points.adjust, card.enroll, "
            "card.deactivate, card.reactivate); an invalid one is rejected on its own "
            "(INVALID_OPERATION) without failing the batch"
        )
    )


class PinFailure(Strict):
    event_id: UUID
    staff_pin_id: JsonInt = Field(ge=1, le=2**31 - 1)
    occurred_at: IsoDateTime


class PushRequest(Strict):
    sent_at: IsoDateTime = Field(description="the till's clock when sending: gives its skew")
    ops: list[PushedOp] = Field(default_factory=list, max_length=MAX_BATCH)
    pin_failures: list[PinFailure] = Field(default_factory=list, max_length=MAX_BATCH)


class CardBalances(BaseModel):
    card_number: str
    stamp_count: int
    points_balance: int
    is_active: bool


class OpOutcome(BaseModel):
    op_id: UUID
    seq: int
    status: Literal["applied", "duplicate", "rejected"]
    original_status: Literal["applied", "rejected"] | None = Field(
        default=None, description="for a duplicate: what the first delivery got"
    )
    code: str | None = None
    message: str | None = None
    transaction_ids: list[int] = Field(default_factory=list)
    card: CardBalances | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class PinFailureOutcome(BaseModel):
    event_id: UUID
    status: Literal["counted", "duplicate", "rejected"]
    locked_until: datetime | None = None


class PushResponse(BaseModel):
    server_time: datetime
    results: list[OpOutcome]
    pin_failures: list[PinFailureOutcome]
