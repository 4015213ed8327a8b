"""The till's database file under SQLCipher (docs/decisions.md, "The till's cache
encrypted"): opening it with its key, and sealing a cache an older version left in
clear, in place, without losing its outbox.

Sealing is crash-safe by order: the clear database is checkpointed whole into its main
file (its WAL emptied and removed), exported into a new encrypted file that is fsynced,
then renamed over the old one. A crash before the rename leaves the clear file, which
the next start seals again; after it, the sealed one.
"""

import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from desktop.engine.cache_key import CacheKey

log = logging.getLogger(__name__)

PLAIN_HEADER = b"SQLite format 3\x00"
# A failure of either driver (the store's connections are sqlcipher3's when keyed).
ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher3.Error)


class CacheKeyMismatch(Exception):
    """The database cannot be read with the key this till holds."""


def connect(path: Path, key: "CacheKey | None", **kwargs: Any) -> Any:
    """A DB-API connection to the till's database: SQLCipher with the key set before
    anything else is read, or the standard sqlite3 for an unencrypted one."""
    if key is None:
        return sqlite3.connect(path, **kwargs)
    conn = sqlcipher3.connect(str(path), **kwargs)
    try:
        # SQLCipher's own stderr log says no more than the error raised below does.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key.pragma())
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # checks the key
    except sqlcipher3.DatabaseError:
        conn.close()
        raise CacheKeyMismatch(
            f"{path} cannot be read with this till's key (another till's file, or "
            "a key replaced since)"
        ) from None
    return conn


def _header(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(len(PLAIN_HEADER))
    except FileNotFoundError:
        return b""


def is_plain(path: Path) -> bool:
    """An unencrypted SQLite database (any SQLite file starts with this header; an
    encrypted one starts with its random salt)."""
    return _header(path) == PLAIN_HEADER


def is_sealed(path: Path) -> bool:
    """A database file with content that is not plain SQLite: encrypted."""
    header = _header(path)
    return bool(header) and header != PLAIN_HEADER


def seal_plain(path: Path, key: "CacheKey") -> bool:
    """Encrypt a clear database in place (True if there was one)."""
    if not is_plain(path):
        return False
    started = time.perf_counter()
    sealed = path.with_name(path.name + ".sealing")
    sealed.unlink(missing_ok=True)  # a crash left it half-written
    os.close(os.open(sealed, os.O_RDWR | os.O_CREAT, 0o600))  # private, as the clear one
    plain = sqlcipher3.connect(str(path), isolation_level=None)
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the outbox may be in the WAL
        version = int(plain.execute("PRAGMA user_version").fetchone()[0])
        plain.execute(f"ATTACH DATABASE ? AS sealed KEY {key.literal()}", (str(sealed),))
        plain.execute("SELECT sqlcipher_export('sealed')")
        plain.execute(f"PRAGMA sealed.user_version = {version}")  # export leaves it at 0
        plain.execute("DETACH DATABASE sealed")
    finally:
        plain.close()
    _fsync(sealed)
    # The clear WAL was checkpointed and emptied: all that remains is in the main file.
    for leftover in (f"{path.name}-wal", f"{path.name}-shm"):
        path.with_name(leftover).unlink(missing_ok=True)
    with path.open("r+b") as old:
        os.replace(sealed, path)
        _fsync_dir(path.parent)
        _scrub(old)  # best effort: the clear file's blocks overwritten, not just unlinked
    log.info("the till's database is now encrypted (%.1f s)", time.perf_counter() - started)
    return True


def set_aside(path: Path) -> Path:
    """Move a database nobody can read any more (and its WAL) out of the way."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.unreadable-{stamp}")
    for suffix in ("-wal", "-shm", ""):
        source = path.with_name(path.name + suffix)
        if source.exists():
            os.replace(source, aside.with_name(aside.name + suffix))
    return aside


def _scrub(file: Any) -> None:
    left = os.fstat(file.fileno()).st_size
    file.seek(0)
    while left > 0:
        file.write(b"\x00" * min(left, 65536))
        left -= 65536
    file.flush()
    os.fsync(file.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name == "posix":
        _fsync(directory)
