"""WAL checkpoints on a thread of their own, off the cashier's op path.

SQLite checkpoints automatically inside the COMMIT that pushes the WAL past
``wal_autocheckpoint`` pages: that op then also copies the WAL into the database and
fsyncs it, two to three times a normal commit (the p99 of a confirmed op). Here the
store's connections only checkpoint past a much larger backstop, and this thread
runs a PASSIVE checkpoint (never blocks a writer or a reader) once a write leaves
the WAL past ``pages``. Checkpointing is SQLite's own crash-safe copy; which thread
asks for it changes nothing about durability (every commit is still fsynced in the
WAL with ``synchronous=FULL``).
"""

import logging
import sqlite3
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.engine.cache_cipher import ERRORS, CacheKeyMismatch

log = logging.getLogger(__name__)
CONNECTION_ERRORS: tuple[type[Exception], ...] = (*ERRORS, CacheKeyMismatch)

PAGES = 1000  # SQLite's default autocheckpoint size: ~4 MB of WAL
BACKSTOP_PAGES = 10_000  # inline checkpoint only if this thread cannot keep up


class Checkpointer:
    """``nudge()`` after a write transaction; a daemon thread checkpoints when the WAL
    is past ``pages``. ``close()`` stops it (the last connection closing checkpoints
    whatever is left). ``connect``: how to open the database (with the till's key)."""

    def __init__(
        self, path: Path, pages: int = PAGES, connect: Callable[[], Any] | None = None
    ) -> None:
        self.path = path
        self._connect = connect or (lambda: sqlite3.connect(path))
        self._shm = path.with_name(path.name + "-shm")
        self.pages = pages
        self.runs = 0  # checkpoints done, for tests and diagnostics
        self._chasing = 0  # WAL frames at the last checkpoint, until the WAL restarts
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """Cheap (an event set): called after every write transaction."""
        self._wake.set()

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        conn: Any = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stop.is_set():
                    return
                frames, copied = self._frames()
                if frames < self._chasing:  # the WAL restarted from its start
                    self._chasing = 0
                # A commit that began during a checkpoint leaves frames behind, and SQLite
                # restarts the WAL from its start only once all are copied: copy those
                # too, or the file grows on (and a commit that grows it fsyncs slower).
                if frames - copied >= self.pages or (self._chasing and frames > copied):
                    # Connected on first need: by then the store has made the file a
                    # WAL database (a connection opened before would not checkpoint).
                    conn = conn or self._open()
                    if conn is None:
                        continue
                    if not self._checkpoint(conn):
                        conn.close()
                        conn = None
        finally:
            if conn is not None:
                conn.close()

    def _frames(self) -> tuple[int, int]:
        """Frames in the WAL and those already copied into the database, from the WAL
        index header (https://www.sqlite.org/walformat.html: ``mxFrame`` at byte 16,
        ``nBackfill`` at 96, native byte order). Read without SQLite's locks, it may
        be a frame stale: it only decides when to checkpoint. Unreadable: due."""
        try:
            with self._shm.open("rb") as shm:
                header = shm.read(100)
        except OSError:
            return self.pages, 0
        if len(header) < 100:
            return self.pages, 0
        (frames,) = struct.unpack_from("=I", header, 16)
        (copied,) = struct.unpack_from("=I", header, 96)
        return frames, min(copied, frames)

    def _open(self) -> Any:
        try:
            conn = self._connect()
        except CONNECTION_ERRORS:  # the backstop still checkpoints inline
            log.exception("background WAL checkpoint: cannot open the database")
            return None
        try:
            conn.isolation_level = None
            conn.execute("PRAGMA journal_mode=WAL")  # as the store's connections: a no-op now
            conn.execute("PRAGMA synchronous=FULL")  # the checkpoint fsyncs the database file
        except CONNECTION_ERRORS:
            conn.close()
            log.exception("background WAL checkpoint: cannot use the database")
            return None
        return conn

    def _checkpoint(self, conn: Any) -> bool:
        """One PASSIVE checkpoint; False if this connection could not do it."""
        try:
            busy, log_frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except CONNECTION_ERRORS:  # e.g. a disk error: the backstop still checkpoints inline
            log.exception("background WAL checkpoint failed")
            return False
        if log_frames < 0:  # "not in WAL mode" as this connection sees it
            return False
        self.runs += 1
        self._chasing = max(1, log_frames)
        log.debug("checkpoint: %s of %s frames (busy %s)", done, log_frames, busy)
        return True
