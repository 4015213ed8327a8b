"""The tamper-evident chain of a merchant's ledger: each entry's hash covers the
previous entry's hash, so editing, deleting or reordering any committed entry breaks
every link after it, and a recomputation finds the first broken one."""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

GENESIS = "0" * 64

# Everything that says what happened; not the sync bookkeeping (change_txid) and not
# the chain fields themselves.
HASHED_FIELDS: tuple[str, ...] = (
    "id",
    "merchant_id",
    "chain_seq",
    "card_id",
    "store_id",
    "staff_pin_id",
    "user_id",
    "type",
    "stamps_delta",
    "points_delta",
    "stamp_count_after",
    "points_balance_after",
    "purchase_amount_cents",
    "order_reference",
    "reward_id",
    "reward_name",
    "related_transaction_id",
    "client_time",
    "created_at",
    "ip_address",
    "user_agent",
    "notes",
)


def _canonical(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a ledger entry")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def entry_hash(prev_hash: str, entry: Mapping[str, object]) -> str:
    """sha256 over the previous hash and the entry's fields in a canonical JSON form."""
    fields = {name: _canonical(entry[name]) for name in HASHED_FIELDS}
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()
