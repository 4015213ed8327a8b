"""Digests of the synced state, per bucket, computed the same way by the server and the
till, so a till can prove its cache equals the server's and name the rows that differ.

Rows are split into a few fixed buckets per entity: a card, its aliases and its ledger
entries share the bucket of the card's id (so one repair brings a card with its
history), customers go by their id, the store's staff PINs form one bucket. A bucket's
digest is SHA-256 (first 128 bits) of the canonical JSON of its rows sorted by their
first column, in the columns listed here: only what the till keeps unchanged from the
pull. A PIN's failure counts and lockout change at the till between pulls, so they are
left out; a customer is compared as the till keeps them (short name, masked email).

Ledger entries are compared only from ``history_since``: the till prunes older ones.
"""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from operator import itemgetter
from typing import Any

from common.customer_privacy import email_hint, short_name
from common.retention import history_days

CARD_BUCKETS = 64
CUSTOMER_BUCKETS = 16

CARD_COLUMNS: tuple[str, ...] = (
    "id",
    "card_number",
    "customer_id",
    "qr_code_data",
    "enrolled_at_store_id",
    "is_active",
    "stamp_count",
    "total_stamps_earned",
    "stamps_redeemed",
    "total_stamps_voided",
    "points_balance",
    "total_points_earned",
    "points_redeemed",
    "total_points_voided",
    "total_points_adjusted",
    "stamps_day",
    "stamps_on_day",
    "last_stamp_at",
    "last_points_at",
    "last_redemption_at",
    "last_activity_at",
)
# Entity: (its buckets, the columns its digest covers, the first one sorting the rows).
ENTITIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "cards": (CARD_BUCKETS, CARD_COLUMNS),
    "aliases": (CARD_BUCKETS, ("card_number", "card_id")),
    "transactions": (
        CARD_BUCKETS,
        (
            "id",
            "card_id",
            "type",
            "stamps_delta",
            "points_delta",
            "order_reference",
            "related_transaction_id",
            "reward_id",
            "created_at",
        ),
    ),
    "customers": (CUSTOMER_BUCKETS, ("id", "name", "email_hint")),
    "staff_pins": (1, ("id", "name", "pin_hash", "is_active")),
}
# The column whose value picks a row's bucket (a card's id wherever the row belongs to one).
BUCKET_KEY = {
    "cards": "id",
    "aliases": "card_id",
    "transactions": "card_id",
    "customers": "id",
    "staff_pins": "id",
}
# Ledger entries this much younger than the till's window are compared: a till prunes by
# its own clock, which may be off by hours.
MARGIN = timedelta(days=1)
_NAME = re.compile(r"([a-z_]{1,20}):([0-9]{1,4})")

Row = Sequence[Any]


def bucket(entity: str, key: int) -> int:
    """The bucket a row whose bucket key is ``key`` falls in."""
    return key % ENTITIES[entity][0]


def name(entity: str, number: int) -> str:
    return f"{entity}:{number}"


def parse(text: str) -> tuple[str, int] | None:
    """(entity, bucket) of a bucket name such as ``cards:17``; None if it names none."""
    found = _NAME.fullmatch(text)
    if found is None or found[1] not in ENTITIES:
        return None
    number = int(found[2])
    return (found[1], number) if number < ENTITIES[found[1]][0] else None


def all_names() -> list[str]:
    return [name(e, n) for e, (count, _) in ENTITIES.items() for n in range(count)]


def digest(rows: Iterable[Row]) -> str:
    """One bucket's digest: rows in the entity's digest columns, in any order."""
    ordered = sorted(rows, key=itemgetter(0))  # tuples and lists are both JSON arrays
    body = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def digests(
    entity: str, rows: Iterable[Row], numbers: Iterable[int] | None = None
) -> dict[str, str]:
    """Bucket name: digest, for ``numbers`` (default every bucket of the entity; an empty
    bucket has the digest of no rows). Rows are in the entity's digest columns."""
    count, columns = ENTITIES[entity]
    key = columns.index(BUCKET_KEY[entity])
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[key] % count].append(row)
    wanted = range(count) if numbers is None else numbers
    return {name(entity, n): digest(grouped.get(n, ())) for n in wanted}


def customer_row(ident: int, full_name: str | None, email: str | None) -> tuple[Any, ...]:
    """A server's customer as the till keeps it, for the digest."""
    return (ident, short_name(full_name), email_hint(email))


def history_since(now: datetime, days: int | None) -> datetime:
    """Ledger entries created from this instant on are compared: the window the till
    keeps, less a day for its clock, from a midnight (UTC), so that the ISO strings the
    till holds compare with it as text."""
    start = now.astimezone(UTC) - timedelta(days=history_days(days)) + MARGIN
    return datetime.combine(start.date() + timedelta(days=1), time(0), UTC)
