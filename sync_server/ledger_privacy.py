"""Erasing personal fields from sealed ledger entries without breaking the chain.

The chain (format v2) covers a salted digest of each personal field, not the value, so
removing the value keeps every link. The salt goes with the value: a digest of a short
value (an IPv4 address, a short note) with a known salt could be brute-forced back.
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, or_, select, update
from sqlalchemy.orm import Session

from common.ledger_chain import PERSONAL_FIELDS, salt_column
from sync_server.models import LedgerEntry

_ENTRIES = cast(Table, LedgerEntry.__table__)
_CHUNK = 500  # ids per statement: SQLite's bound-parameter limit


def erase_personal_fields(
    session: Session, entry_ids: Sequence[int], fields: Collection[str] = PERSONAL_FIELDS
) -> int:
    """Remove ``fields``' values and salts from these entries, in the caller's
    transaction (no commit); returns how many entries had something to remove."""
    names = _checked(fields)
    if not names:
        return 0
    changed = 0
    ids = sorted(set(entry_ids))
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            update(_ENTRIES)
            .where(_ENTRIES.c.id.in_(ids[start : start + _CHUNK]), _holds_any(names))
            .values({column: None for f in names for column in (f, salt_column(f))})
            .returning(_ENTRIES.c.id)
        )
        changed += len(session.execute(stmt).all())
    return changed


def entries_holding(
    session: Session, fields: Collection[str], before: datetime, after_id: int, limit: int
) -> list[int]:
    """Ids (ascending, above ``after_id``) of entries created before ``before`` that
    still hold a value or salt of ``fields``: one batch of the retention command."""
    names = _checked(fields)
    if not names:
        return []
    stmt = (
        select(_ENTRIES.c.id)
        .where(_ENTRIES.c.id > after_id, _ENTRIES.c.created_at < before, _holds_any(names))
        .order_by(_ENTRIES.c.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def _checked(fields: Collection[str]) -> list[str]:
    unknown = set(fields) - set(PERSONAL_FIELDS)
    if unknown:
        raise ValueError(f"not a personal ledger field: {', '.join(sorted(unknown))}")
    return [f for f in PERSONAL_FIELDS if f in fields]


def _holds_any(fields: Sequence[str]) -> ColumnElement[bool]:
    held = [
        or_(_ENTRIES.c[f].is_not(None), _ENTRIES.c[salt_column(f)].is_not(None)) for f in fields
    ]
    return or_(*held)
