"""The background checkpointer on its own (desktop/engine/checkpoint.py), over a plain
WAL database: one nudge past the threshold is one checkpoint, counted once, with the
default way of opening the file.

Planted bugs this test was seen failing on (mutmut's names, ``Checkpointer.*``): the
default connection opened on no path (the thread dies, nothing is copied); ``runs``
counted twice per checkpoint."""

import sqlite3
import time

from desktop.engine.checkpoint import Checkpointer


def test_one_nudge_past_the_threshold_is_one_checkpoint(tmp_path):
    path = tmp_path / "till.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer copies
    writer.execute("CREATE TABLE t (x)")
    writer.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(200)])
    checkpointer = Checkpointer(path, pages=5)
    try:
        checkpointer.nudge()
        deadline = time.monotonic() + 30
        while checkpointer.runs == 0:
            assert time.monotonic() < deadline, "no checkpoint after a nudge"
            time.sleep(0.01)
    finally:
        checkpointer.close()
        writer.close()

    assert checkpointer.runs == 1
