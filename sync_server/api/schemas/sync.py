"""The sync protocol's bodies: pairing, push and pull."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from common.text import PlainText
from sync_server.api.schemas.common import JsonInt, Strict
from sync_server.sync.messages import MAX_BATCH as MAX_BATCH
from sync_server.sync.messages import CardBalances as CardBalances
from sync_server.sync.messages import OpOutcome as OpOutcome
from sync_server.sync.messages import PinFailure as PinFailure
from sync_server.sync.messages import PinFailureOutcome as PinFailureOutcome
from sync_server.sync.messages import PushedOp as PushedOp
from sync_server.sync.messages import PushRequest as PushRequest
from sync_server.sync.messages import PushResponse as PushResponse


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
    store_id: JsonInt = Field(ge=1, le=2**31 - 1, description="another store of the merchant")


class TerminalListResponse(BaseModel):
    terminals: list[TerminalResponse]


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
