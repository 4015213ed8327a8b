"""Which tills a committed transaction concerns, told to the live feed after commit.

A session notes, as it flushes, the merchant (and store) of every synced row it writes
through the ORM; writers that bypass the ORM (the push's set-at-a-time SQL) call
``touched``. After the commit, and only then, the notes go to a sink (the feed, which
sends them as NOTIFY payloads ``<merchant>:<store or *>[:config]``); a rollback drops
them. A missed note is never wrong, only slower: the till's cursor is checked anyway.
"""

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from sync_server.models import Card, Customer, LedgerEntry, Merchant, StaffPin, Store
from sync_server.models.program import MerchantSettings, Program
from sync_server.models.sync import CardAlias, SyncOp, Terminal

Sink = Callable[[Iterable[str]], None]
_KEY = "loyalty.change_notices"
_MERCHANT_WIDE = (Card, Customer, CardAlias)  # every store of the merchant pulls them
_PER_STORE = (StaffPin, LedgerEntry, SyncOp)
_CONFIG = (Program, MerchantSettings)  # sent whole on every pull page, not by cursor
# A till's stream authenticated once: revoking it, moving it, rotating its token or
# re-keying its cursors wakes it for a round, which learns what changed. (Not every
# write: a pull records its time on the till's row.)
_TERMINAL_CHANGES = ("revoked_at", "store_id", "token_hash", "cursor_key")


def install_change_notices(factory: sessionmaker[Session], sink: Sink) -> None:
    def after_commit(session: Session) -> None:
        notes = session.info.pop(_KEY, None)
        if notes:
            sink(notes)

    event.listen(factory, "before_flush", _note)
    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_rollback", _drop)


def touched(session: Session, merchant_id: int, store_id: int | None = None) -> None:
    """For rows written without the ORM: the merchant's tills (or one store's) pull."""
    _notes(session).add(f"{merchant_id}:{'*' if store_id is None else store_id}")


def _note(session: Session, _ctx: Any, _instances: Any) -> None:
    notes = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        note = _about(obj)
        if note is not None:
            notes = _notes(session) if notes is None else notes
            notes.add(note)


def _about(obj: object) -> str | None:
    if isinstance(obj, _MERCHANT_WIDE):
        return f"{obj.merchant_id}:*"
    if isinstance(obj, _PER_STORE):
        return f"{obj.merchant_id}:{obj.store_id}"
    if isinstance(obj, _CONFIG):
        return f"{obj.merchant_id}:*:config"
    if isinstance(obj, Store):
        return f"{obj.merchant_id}:{obj.id}:config"
    if isinstance(obj, Merchant):
        return f"{obj.id}:*:config"
    if isinstance(obj, Terminal) and _terminal_changed(obj):
        return f"{obj.merchant_id}:*:config"
    return None


def _terminal_changed(terminal: Terminal) -> bool:
    state = inspect(terminal)
    return state.persistent and any(
        state.attrs[name].history.has_changes() for name in _TERMINAL_CHANGES
    )


def _notes(session: Session) -> set[str]:
    notes: set[str] = session.info.setdefault(_KEY, set())
    return notes


def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)
