"""Every till starts over: the step after a database restore.

Pull cursors are change stamps (PostgreSQL transaction ids): after a point-in-time
restore or a dump loaded into a new cluster, the ids restart below what the tills hold,
and a till would skip every change until the ids pass its cursor. A cursor is signed
with its till's ``cursor_key``; giving every till a new key makes every cursor issued
before unusable, so each till's next pull is a full resync (``reset``) that wipes its
pulled tables and takes the restored state whole. Its outbox is kept and pushed again:
ops the restored database lacks are applied (idempotent by op id)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.models.sync import Terminal, new_cursor_key


def resync_tills(session: Session, merchant_id: int | None = None) -> int:
    """New cursor keys for every till (of one merchant, or all); how many. In the
    caller's transaction, under row locks, so a pull racing it either signed its
    cursor before (and that cursor is now refused) or reads the new key."""
    query = select(Terminal).order_by(Terminal.id).with_for_update()
    if merchant_id is not None:
        query = query.where(Terminal.merchant_id == merchant_id)
    terminals = session.scalars(query).all()
    for terminal in terminals:
        terminal.cursor_key = new_cursor_key()
    return len(terminals)
