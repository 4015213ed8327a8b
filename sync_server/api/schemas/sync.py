"""The sync protocol's bodies: pairing, push and pull."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool

from common.text import PlainText
from sync_server.api.schemas.common import MAX_JSON_INT, IsoDateTime, JsonInt, Strict

MAX_BATCH = 500


class PairRequest(Strict):
    code: PlainText = Field(min_length=4, max_length=32)
    name: PlainText = Field(default="Till", min_length=1, max_length=100)


class PairResponse(BaseModel):
    terminal_id: int
    device_token: str = Field(description="keep it in the OS keyring; shown once")
    merchant_id: int
    store_id: int
    card_node: int = Field(description="node of the card numbers this terminal may issue")


class PairingCodeResponse(BaseModel):
    code: str
    expires_at: datetime
    store_id: int


class TerminalResponse(BaseModel):
    id: int
    store_id: int
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    last_pull_at: datetime | None = Field(
        description="when the till last completed a pull: the server's own fact about how "
        "old its snapshot is (offline limits judge by it, not by the till's claim)"
    )
    revoked_at: datetime | None


class MoveTerminal(Strict):
    store_id: int = Field(ge=1, le=2**31 - 1, description="another store of the merchant")


class TerminalListResponse(BaseModel):
    terminals: list[TerminalResponse]


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


class PullStore(BaseModel):
    id: int
    name: str
    timezone: str


class PullSettings(BaseModel):
    pin_lockout_attempts: int
    pin_lockout_minutes: int
    offline_max_cache_age_minutes: int
    offline_max_redemptions_per_card: int
    offline_max_points_per_card: int
    offline_overspend_allowed: bool
    staff_session_minutes: int = Field(description="0 = the till asks for a PIN every time")
    currency: str = Field(description="ISO 4217 code the till shows amounts in")
    history_days: int = Field(description="days the till keeps settled ops and history")


class PullTable(BaseModel):
    columns: list[str]
    rows: list[list[Any]] = Field(description="one array per row, values in column order")


class PullDigests(BaseModel):
    since: datetime = Field(description="ledger entries created from then on are compared")
    buckets: dict[str, str] = Field(
        description="bucket name (e.g. cards:17): digest of its rows (common/sync_digest.py)"
    )
    moving: list[str] = Field(
        description="buckets with a row changed after this round's horizon: not compared"
    )


class BucketsResponse(BaseModel):
    since: datetime = Field(description="ledger entries older than this are left alone")
    tables: dict[str, PullTable] = Field(description="the buckets' current rows, as in a pull")
    buckets: dict[str, str] = Field(description="the digest of each bucket's rows sent here")


class PullResponse(BaseModel):
    server_time: datetime
    cursor: str = Field(description="opaque: send it back to get what changed since")
    has_more: bool
    reset: bool = Field(
        description="the cursor was unusable: drop the local copy, this is a full resync"
    )
    caught_up: bool = Field(
        description=(
            "nothing committed so far is left out: no other transaction still in flight "
            "held this page back (false: pull again shortly)"
        )
    )
    program: dict[str, Any] | None
    store: PullStore
    qr_key: str = Field(description="hex HMAC key to verify the merchant's QR payloads offline")
    settings: PullSettings
    changes: dict[str, list[dict[str, Any]]] | None = Field(
        default=None,
        description=(
            "format=objects (the default): customers, cards, aliases, staff_pins, "
            "transactions, op_outcomes, each a list of row objects"
        ),
    )
    tables: dict[str, PullTable] | None = Field(
        default=None,
        description="format=columns: the same entities and rows, as column names + arrays",
    )
    digests: PullDigests | None = Field(
        default=None,
        description="with digests=true, on the page that ends a round: the state to check",
    )
