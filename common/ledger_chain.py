"""The tamper-evident chain of a merchant's ledger: each entry's hash covers the
previous entry's hash, so editing, deleting or reordering any committed entry breaks
every link after it, and a recomputation finds the first broken one.

Format v2 (every entry written since migration 0008) commits to a salted digest of each
personal field instead of the field itself, so the value can be erased (with its salt)
and the link still holds; v1 hashed the values and is kept only to check and migrate old
chains (docs/security.md, "The ledger chain").
"""

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

GENESIS = "0" * 64
CHAIN_VERSION = 2  # what new entries are sealed with

# Personal data: hashed through a per-entry salted digest (v2), so it can be erased.
PERSONAL_FIELDS: tuple[str, ...] = ("notes", "ip_address", "user_agent")
# What the retention command drops after a while; notes go only with their customer.
REQUEST_METADATA_FIELDS: tuple[str, ...] = ("ip_address", "user_agent")

# Everything that says what happened; not the sync bookkeeping (change_txid) and not
# the chain fields themselves.
FACT_FIELDS: tuple[str, ...] = (
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
)
HASHED_FIELDS: tuple[str, ...] = (*FACT_FIELDS, *PERSONAL_FIELDS)  # v1: the values
# Facts added after v2: hashed (v2) only when set, so every entry sealed before they
# existed keeps its hash. related_op_id: the refused till op an adjustment settles.
LATER_FACT_FIELDS: tuple[str, ...] = ("related_op_id",)


def salt_column(field: str) -> str:
    return f"{field}_salt"


def digest_column(field: str) -> str:
    return f"{field}_digest"


PRIVACY_COLUMNS: tuple[str, ...] = tuple(
    column for f in PERSONAL_FIELDS for column in (salt_column(f), digest_column(f))
)
# A NULL value has no salt and this digest: no HMAC output is all zeros in practice.
NULL_DIGEST = "0" * 64
SALT_BYTES = 16


def _canonical(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a ledger entry")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _sha256(prev_hash: str, fields: Mapping[str, object]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def entry_hash_v1(prev_hash: str, entry: Mapping[str, object]) -> str:
    """sha256 over the previous hash and every field's value in a canonical JSON form."""
    return _sha256(prev_hash, {name: _canonical(entry[name]) for name in HASHED_FIELDS})


def entry_hash_v2(prev_hash: str, entry: Mapping[str, object]) -> str:
    """As v1 with each personal field replaced by its digest, and the version itself
    hashed (a v2 hash cannot pass for a v1 one)."""
    fields = {name: _canonical(entry[name]) for name in FACT_FIELDS}
    fields |= {digest_column(f): entry[digest_column(f)] for f in PERSONAL_FIELDS}
    fields |= {f: entry[f] for f in LATER_FACT_FIELDS if entry.get(f) is not None}
    fields["chain_version"] = 2
    return _sha256(prev_hash, fields)


def entry_hash(prev_hash: str, entry: Mapping[str, object]) -> str:
    """The hash of ``entry`` in the format it names (``chain_version``; v2 if absent)."""
    version = entry.get("chain_version") or CHAIN_VERSION
    if version == 1:
        return entry_hash_v1(prev_hash, entry)
    if version == 2:
        return entry_hash_v2(prev_hash, entry)
    raise ValueError(f"unknown ledger chain version {version!r}")


def field_digest(salt: str | None, value: object) -> str:
    """HMAC-SHA256 keyed by the (hex) salt over the value's canonical JSON form."""
    if value is None:
        return NULL_DIGEST
    if salt is None:
        raise ValueError("a personal value needs its salt")
    message = json.dumps(_canonical(value), ensure_ascii=True).encode()
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()


def privacy_columns(entry: Mapping[str, object]) -> dict[str, str | None]:
    """A fresh random salt and its digest for each personal field of an entry being
    sealed (none for a NULL value)."""
    columns: dict[str, str | None] = {}
    for f in PERSONAL_FIELDS:
        value = entry.get(f)
        salt = None if value is None else secrets.token_hex(SALT_BYTES)
        columns[salt_column(f)] = salt
        columns[digest_column(f)] = field_digest(salt, value)
    return columns


def personal_field_problem(entry: Mapping[str, object]) -> str | None:
    """Why a v2 entry's personal fields disagree with their digests, or None.

    A value with its salt must give the stored digest; a value erased together with its
    salt leaves the digest to the entry hash, which covers it."""
    for f in PERSONAL_FIELDS:
        value, salt = entry.get(f), entry.get(salt_column(f))
        digest = entry.get(digest_column(f))
        if value is None and salt is None:
            continue
        if value is None:
            return f"its {f} salt outlived the value"
        if salt is None:
            return f"its {f} has no salt"
        try:
            recomputed = field_digest(str(salt), value)
        except ValueError:
            return f"its {f} salt is not hex"
        if recomputed != digest:
            return f"its {f} differs from what was sealed"
    return None


def is_erased(entry: Mapping[str, object], field: str) -> bool:
    """A value that was sealed and later erased (not one that was always NULL)."""
    return entry.get(field) is None and entry.get(digest_column(field)) != NULL_DIGEST
