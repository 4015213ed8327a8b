"""Dropping old request metadata (IP address, user agent) from the ledger.

Batches of a few hundred entries, each in its own short transaction: a year of entries
never sits in one transaction holding row locks against the pushes. Idempotent: an entry
whose metadata is gone is not selected again.
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from common.ledger_chain import REQUEST_METADATA_FIELDS
from sync_server.ledger_privacy import entries_holding, erase_personal_fields

BATCH = 500


def drop_request_metadata(
    factory: sessionmaker[Session], now: datetime, older_than: timedelta, batch: int = BATCH
) -> int:
    """Erase IP address and user agent (values and salts) of every entry created before
    ``now - older_than``; returns how many entries changed. Commits each batch."""
    before = now - older_than
    changed, after_id = 0, 0
    while True:
        with factory() as session:
            ids = entries_holding(session, REQUEST_METADATA_FIELDS, before, after_id, batch)
            if not ids:
                return changed
            changed += erase_personal_fields(session, ids, REQUEST_METADATA_FIELDS)
            session.commit()
        after_id = ids[-1]
