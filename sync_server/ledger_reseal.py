"""Re-sealing a whole ledger in another chain format, for migration 0008 (v1 -> v2) and
its downgrade (v2 -> v1).

A chain is re-sealed only after it verifies in its current form: a broken chain is
refused with its first bad link, never re-hashed into a valid one (that would launder
the tampering). The upgrade records the v1 head each merchant's v2 chain was derived
from, so an auditor holding that head can check it against the migrated database.
"""

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.orm import Session

from common.ledger_chain import (
    GENESIS,
    HASHED_FIELDS,
    PERSONAL_FIELDS,
    PRIVACY_COLUMNS,
    entry_hash_v1,
    entry_hash_v2,
    is_erased,
    privacy_columns,
)
from sync_server.ledger_chain import verify
from sync_server.models import LedgerChainHead, LedgerEntry
from sync_server.repositories.bulk_sql import update_rows

_ENTRIES = cast(Table, LedgerEntry.__table__)
_HEADS = cast(Table, LedgerChainHead.__table__)
_PAGE = 2000
_WRITTEN = ("id", "prev_hash", "entry_hash", "chain_version", *PRIVACY_COLUMNS)
# Only the columns this format knows: a later migration's columns do not exist yet here.
_READ = [_ENTRIES.c[n] for n in dict.fromkeys((*HASHED_FIELDS, *_WRITTEN))]


class ChainRefused(RuntimeError):
    """A chain that cannot be re-sealed honestly; the migration stops with it."""


def reseal_all(conn: Connection, to_version: int) -> int:
    """Re-seal every merchant's chain in ``to_version``; returns the entries rewritten.
    Runs in the caller's transaction (the migration's)."""
    session = Session(bind=conn)
    merchants = session.scalars(select(_HEADS.c.merchant_id).order_by(_HEADS.c.merchant_id))
    total = 0
    for merchant_id in list(merchants):
        _refuse_if_broken(session, merchant_id, to_version)
        total += _reseal(session, merchant_id, to_version)
    session.flush()
    return total


def _refuse_if_broken(session: Session, merchant_id: int, to_version: int) -> None:
    report = verify(session, merchant_id)
    if report.intact:
        return
    raise ChainRefused(
        f"merchant {merchant_id}: the ledger chain is broken at position {report.broken_at}"
        f" (entry {report.entry_id}): {report.problem}. Migration to chain format v"
        f"{to_version} refused: re-sealing would hide the change. Run `loyalty-server "
        "verify-ledger`, restore the entries from a backup, then migrate again."
    )


def _reseal(session: Session, merchant_id: int, to_version: int) -> int:
    head = session.execute(
        select(_HEADS.c.last_seq, _HEADS.c.last_hash).where(_HEADS.c.merchant_id == merchant_id)
    ).one()
    last, count = GENESIS, 0
    for page in _pages(session, merchant_id):
        rows = []
        for entry in page:
            entry["prev_hash"] = last
            entry["chain_version"] = to_version
            if to_version == 2:
                entry.update(privacy_columns(entry))
                entry["entry_hash"] = last = entry_hash_v2(last, entry)
            else:
                _refuse_erased(merchant_id, entry)
                entry.update(dict.fromkeys(PRIVACY_COLUMNS))
                entry["entry_hash"] = last = entry_hash_v1(last, entry)
            rows.append({k: entry[k] for k in _WRITTEN})
        update_rows(session, _ENTRIES, rows)
        count += len(rows)
    old = {"v1_last_seq": head.last_seq, "v1_last_hash": head.last_hash}
    kept = old if to_version == 2 else {"v1_last_seq": None, "v1_last_hash": None}
    session.execute(
        update(_HEADS).where(_HEADS.c.merchant_id == merchant_id).values(last_hash=last, **kept)
    )
    return count


def _refuse_erased(merchant_id: int, entry: dict[str, Any]) -> None:
    erased = [f for f in PERSONAL_FIELDS if is_erased(entry, f)]
    if erased:
        raise ChainRefused(
            f"merchant {merchant_id}: entry {entry['id']} had {', '.join(erased)} erased;"
            " chain format v1 hashes the values themselves and cannot express an erasure."
            " Downgrade refused."
        )


def _pages(session: Session, merchant_id: int) -> Iterator[list[dict[str, Any]]]:
    after = 0
    while True:
        rows = session.execute(
            select(*_READ)
            .where(_ENTRIES.c.merchant_id == merchant_id, _ENTRIES.c.chain_seq > after)
            .order_by(_ENTRIES.c.chain_seq)
            .limit(_PAGE)
        ).mappings()
        page = [dict(row) for row in rows]
        if not page:
            return
        yield page
        after = int(page[-1]["chain_seq"])
