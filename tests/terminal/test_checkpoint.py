"""WAL checkpoints happen on the store's own thread, not inside an op's commit."""

import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from common.card_number import make_card_number
from common.operations import AddStamp
from desktop.engine.local_store import LocalStore

NUMBERS = [make_card_number(1_000_000, i) for i in range(1, 2001)]


def _big_page(cursor: str) -> dict[str, object]:
    """2000 cards: over 500 WAL pages in one commit."""
    cards = [
        {"id": i, "card_number": n, "customer_id": i, "padding": "x" * 1000}
        for i, n in enumerate(NUMBERS, 1)
    ]
    return {"cursor": cursor, "reset": False, "changes": {"cards": cards}}


def _rows_in_database_file(table: str, path: Path, scratch: Path) -> int:
    """Rows the database file itself holds, leaving aside what is still only in the WAL."""
    shutil.copyfile(path, scratch)
    conn = sqlite3.connect(scratch)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # not even the schema copied in yet
        return 0
    finally:
        conn.close()


def _stamp(store: LocalStore, i: int) -> None:
    store.append(
        AddStamp(card_number=NUMBERS[i]),
        client_time=datetime.now(UTC),
        staff_pin_id=None,
        offline=True,
        snapshot_age_s=None,
    )


def test_a_commit_does_not_checkpoint_the_wal_itself(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    store.checkpointer.close()  # no background thread: only an inline one could copy
    try:
        for page in range(3):  # past SQLite's default 1000-page autocheckpoint
            store.apply_pull_page(_big_page(f"c{page}"))
        _stamp(store, 1)

        in_file = _rows_in_database_file("cards", store.checkpointer.path, tmp_path / "copy.db")
        assert in_file == 0
        assert store.card_id(NUMBERS[5]) == 6  # committed: in the WAL, fsynced
        assert len(store.entries()) == 1
    finally:
        store.close()


def test_the_background_thread_copies_the_wal_into_the_database(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    store.checkpointer.pages = 50
    try:
        for i in range(3):
            _stamp(store, i)
        store.apply_pull_page(_big_page("c1"))  # pushes the WAL past 50 pages
        deadline = time.monotonic() + 30
        while store.checkpointer.runs == 0:
            assert time.monotonic() < deadline, "no background checkpoint"
            time.sleep(0.01)

        copied = _rows_in_database_file("outbox", store.checkpointer.path, tmp_path / "copy.db")
        assert copied == 3
    finally:
        store.close()
