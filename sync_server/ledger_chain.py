"""Sealing new ledger entries into their merchant's hash chain, and checking the chain.

Entries are inserted with no chain position; just before the transaction commits,
``seal`` locks the merchant's chain head, gives each new entry the next position and
its hash, and moves the head. The head lock is the last lock a writing transaction
takes on rows other transactions write (docs/sync-protocol.md, "Lock order": a push
locks up front every card and PIN it will write, the wrong PINs counted after its
seal included), so it is held only for the seal and the commit, and it never takes
part in a deadlock with the card and PIN locks taken before it.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from common.ledger_chain import (
    CHAIN_VERSION,
    GENESIS,
    HASHED_FIELDS,
    LATER_FACT_FIELDS,
    PERSONAL_FIELDS,
    PRIVACY_COLUMNS,
    entry_hash,
    entry_hash_v2,
    is_erased,
    personal_field_problem,
    privacy_columns,
)
from sync_server.models import LedgerChainHead, LedgerEntry
from sync_server.repositories.bulk_sql import update_rows
from sync_server.repositories.upsert import insert_ignore

_PENDING_KEY = "loyalty.ledger_unsealed"
_ENTRIES = cast(Table, LedgerEntry.__table__)
_HASHED = [_ENTRIES.c[name] for name in HASHED_FIELDS if name != "chain_seq"]
_LATER = [_ENTRIES.c[name] for name in LATER_FACT_FIELDS]
_CHECKED = [_ENTRIES.c[name] for name in ("chain_version", *PRIVACY_COLUMNS)]
_SEALED = ("id", "chain_seq", "prev_hash", "entry_hash", "chain_version", *PRIVACY_COLUMNS)


def mark_unsealed(session: Session) -> None:
    """Say that this transaction wrote ledger entries (the seal runs only then)."""
    session.info[_PENDING_KEY] = True


def install_sealing(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_transaction_end", _forget)


def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING_KEY):
        session.flush()
        seal(session)


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def seal(session: Session, new_rows: Sequence[dict[str, Any]] = ()) -> None:
    """Chain every unsealed entry of this transaction, then ``new_rows``: entries (with
    their ids) the caller inserts right after, which get their chain fields in place.
    Every entry is sealed in the current format (v2), with fresh salts."""
    written = [
        dict(row)
        for row in session.execute(
            select(*_HASHED, *_LATER).where(_ENTRIES.c.chain_seq.is_(None)).order_by(_ENTRIES.c.id)
        ).mappings()
    ]
    by_merchant: dict[int, list[dict[str, Any]]] = {}
    for entry in (*written, *new_rows):
        by_merchant.setdefault(int(entry["merchant_id"]), []).append(entry)
    for merchant_id in sorted(by_merchant):
        head = _lock_head(session, merchant_id)
        seq, last = head.last_seq, head.last_hash
        for entry in by_merchant[merchant_id]:
            seq += 1
            entry["chain_seq"], entry["prev_hash"] = seq, last
            entry["chain_version"] = CHAIN_VERSION
            entry.update(privacy_columns(entry))
            entry["entry_hash"] = last = entry_hash_v2(last, entry)
        head.last_seq, head.last_hash = seq, last
    update_rows(
        session,
        _ENTRIES,
        [{k: e[k] for k in _SEALED} for e in written],
    )
    session.flush()
    session.info.pop(_PENDING_KEY, None)


def _lock_head(session: Session, merchant_id: int) -> LedgerChainHead:
    insert_ignore(
        session, LedgerChainHead, {"merchant_id": merchant_id, "last_seq": 0, "last_hash": GENESIS}
    )
    stmt = (
        select(LedgerChainHead)
        .where(LedgerChainHead.merchant_id == merchant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one()


@dataclass(frozen=True, slots=True)
class ChainReport:
    merchant_id: int
    entries: int
    broken_at: int | None = None  # chain position of the first bad link
    entry_id: int | None = None
    problem: str | None = None
    erased: int = 0  # entries with a personal field erased (not a break)
    v1_head: tuple[int, str] | None = None  # what migration 0008 re-sealed

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify(session: Session, merchant_id: int, page: int = 5000) -> ChainReport:
    """Recompute a merchant's chain from its first entry; stop at the first bad link."""
    expected_seq, last, count, erased = 1, GENESIS, 0, 0
    for entry in _chain(session, merchant_id, page):
        seq = int(entry["chain_seq"])
        if seq != expected_seq:
            missing = f"the entry at position {expected_seq} is missing"
            return ChainReport(merchant_id, count, expected_seq, None, missing)
        if entry["prev_hash"] != last:
            return ChainReport(
                merchant_id, count, seq, entry["id"], "does not link to the entry before it"
            )
        if entry_hash(last, entry) != entry["entry_hash"]:
            return ChainReport(
                merchant_id, count, seq, entry["id"], "its content differs from what was sealed"
            )
        problem = personal_field_problem(entry) if entry["chain_version"] == 2 else None
        if problem is not None:
            return ChainReport(merchant_id, count, seq, entry["id"], problem)
        last, expected_seq, count = entry["entry_hash"], seq + 1, count + 1
        erased += entry["chain_version"] == 2 and any(is_erased(entry, f) for f in PERSONAL_FIELDS)
    unsealed = session.scalar(
        select(_ENTRIES.c.id)
        .where(_ENTRIES.c.merchant_id == merchant_id, _ENTRIES.c.chain_seq.is_(None))
        .order_by(_ENTRIES.c.id)
        .limit(1)
    )
    if unsealed is not None:
        return ChainReport(merchant_id, count, None, unsealed, "was written outside the chain")
    # Named columns, not the mapped class: migration 0008 runs this too, and must not
    # need the columns a later migration adds.
    heads = LedgerChainHead
    head = session.execute(
        select(heads.last_seq, heads.last_hash, heads.v1_last_seq, heads.v1_last_hash).where(
            heads.merchant_id == merchant_id
        )
    ).one_or_none()
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    if (head_seq, head_hash) != (count, last):
        return ChainReport(
            merchant_id, count, count + 1, None, f"the chain ends early: its head is at {head_seq}"
        )
    v1_head = None
    if head is not None and head.v1_last_hash is not None:
        v1_head = (int(head.v1_last_seq or 0), head.v1_last_hash)
    return ChainReport(merchant_id, count, erased=erased, v1_head=v1_head)


def _later_columns(session: Session) -> list[Any]:
    """The facts added after v2 that this database has: migration 0008 verifies a chain
    before the later migrations have added theirs."""
    present = {c["name"] for c in inspect(session.connection()).get_columns("ledger_entries")}
    return [column for column in _LATER if column.name in present]


def _chain(session: Session, merchant_id: int, page: int) -> Iterator[dict[str, Any]]:
    """Keyset pages in chain order, so a large ledger is never loaded at once."""
    after = 0
    while True:
        rows = (
            session.execute(
                select(
                    *_HASHED,
                    *_later_columns(session),
                    *_CHECKED,
                    _ENTRIES.c.chain_seq,
                    _ENTRIES.c.prev_hash,
                    _ENTRIES.c.entry_hash,
                )
                .where(_ENTRIES.c.merchant_id == merchant_id, _ENTRIES.c.chain_seq > after)
                .order_by(_ENTRIES.c.chain_seq)
                .limit(page)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        for row in rows:
            yield dict(row)
        after = int(rows[-1]["chain_seq"])
