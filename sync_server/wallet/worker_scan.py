"""Which passes show something new since they were last rendered (the worker's step a).

Passes are few beside cards, and what a pass shows is computed in Python (common/
wallet_pass.py), so the scan reads passes joined to the card columns they show, in
keyset batches, each batch in its own short read. A loop keeps a ScanCursor so that
later runs read only the passes whose card, program or pass changed since."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, or_, select
from sqlalchemy.orm import Session, sessionmaker

from common.card import CardState
from common.program import ProgramRules
from common.wallet_pass import pass_content
from sync_server.models import Card, Program, WalletPass
from sync_server.services.card_state import STATE_FIELDS
from sync_server.services.programs import rules_of
from sync_server.sync.changes import horizon

SCAN_BATCH = 1000
FULL_SCAN_EVERY = 100


@dataclass
class ScanCursor:
    """What this process already compared, to skip it next time: every card below
    ``card_txid`` (a pull horizon, sync_server/sync/changes.py: nothing below it can still
    commit), every pass up to ``pass_id``, each merchant's program as ``programs``
    fingerprints it. Memory only speeds the scan up: a new process, and every
    FULL_SCAN_EVERY runs, compares every pass again."""

    card_txid: int | None = None
    pass_id: int = 0
    programs: dict[int, str] = field(default_factory=dict)
    runs: int = 0


def changed_passes(
    factory: sessionmaker[Session], scanned: list[int], cursor: ScanCursor | None = None
) -> Iterator[int]:
    """Ids of passes whose content no longer matches what they last rendered: keyset
    batches of passes joined to their cards' shown columns, each in its own short read;
    with a cursor, only passes whose card, program or pass is new since the last run."""
    with factory() as session:
        horizon_now = horizon(session).value
        shown = {p.merchant_id: _ProgramShown.of(p) for p in session.scalars(select(Program))}
        session.rollback()
    incremental = cursor is not None and cursor.card_txid is not None
    if cursor is not None and cursor.runs % FULL_SCAN_EVERY == 0:
        incremental = False
    since = _since(cursor, shown) if incremental and cursor is not None else None
    after = 0
    while True:
        with factory() as session:
            rows = session.execute(_scan_query(after, since).limit(SCAN_BATCH)).all()
            session.rollback()
        scanned.append(len(rows))
        yield from (r.id for r in rows if r.merchant_id in shown and _changed(r, shown))
        if len(rows) < SCAN_BATCH:
            break
        after = rows[-1].id
    if cursor is not None:
        cursor.card_txid, cursor.runs = horizon_now, cursor.runs + 1
        cursor.programs = {m: p.fingerprint for m, p in shown.items()}
        cursor.pass_id = max(cursor.pass_id, after, *(r.id for r in rows))


@dataclass(frozen=True)
class _ProgramShown:
    """What a pass takes from its program, made once per run (not once per pass)."""

    name: str
    rules: ProgramRules

    @classmethod
    def of(cls, program: Program) -> "_ProgramShown":
        return cls(program.display_name, rules_of(program))

    @property
    def fingerprint(self) -> str:
        return repr((self.name, self.rules))


def _since(cursor: ScanCursor, shown: dict[int, _ProgramShown]) -> ColumnElement[bool]:
    moved = [m for m, p in shown.items() if cursor.programs.get(m) != p.fingerprint]
    return or_(
        Card.change_txid >= cursor.card_txid,
        WalletPass.id > cursor.pass_id,
        WalletPass.merchant_id.in_(moved),
    )


_CARD_SHOWN = [getattr(Card, f) for f in STATE_FIELDS]


def _scan_query(after: int, since: ColumnElement[bool] | None) -> Select[Any]:
    query = (
        select(
            WalletPass.id,
            WalletPass.merchant_id,
            WalletPass.serial_number,
            WalletPass.rendered_state,
            Card.card_number,
            Card.qr_code_data,
            *_CARD_SHOWN,
        )
        .join(Card, Card.id == WalletPass.card_id)
        .where(WalletPass.id > after)
        .order_by(WalletPass.id)
    )
    return query if since is None else query.where(since)


def _changed(row: Row[Any], shown: dict[int, _ProgramShown]) -> bool:
    return bool(row_digest(row, shown[row.merchant_id]) != row.rendered_state)


def row_digest(row: Row[Any], program: "_ProgramShown") -> str:
    """passes.content_of's digest without its two queries per pass (a test holds them
    equal); the marking step re-reads content_of under the row lock."""
    state = CardState(card_number=row.card_number, **{f: getattr(row, f) for f in STATE_FIELDS})
    return pass_content(
        serial_number=row.serial_number,
        program_name=program.name,
        rules=program.rules,
        card=state,
        barcode_message=row.qr_code_data,
    ).state_digest()
