"""The till's database file at the edges of encryption (desktop/engine/cache_cipher.py):
a till without a key opens plain SQLite; sealing is for clear databases only (none, or
one already sealed, is left as it is); a key that is not one is refused in words.

Planted bugs each test was seen failing on (mutmut's names): ``connect`` opening
sqlite3 without the path; ``seal_plain`` answering True with nothing to seal;
``cache_key.load`` refusing a bad stored key with no words."""

import secrets
import sqlite3

import pytest

from desktop.engine import cache_cipher, cache_key
from desktop.engine.cache_key import KEY_BYTES, CacheKey, CacheKeyUnusable
from desktop.engine.tokens import MemoryTokens


def _key() -> CacheKey:
    return CacheKey(secrets.token_bytes(KEY_BYTES), MemoryTokens())


def test_a_till_without_a_key_opens_plain_sqlite(tmp_path):
    path = tmp_path / "till.db"

    conn = cache_cipher.connect(path, None)
    try:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    finally:
        conn.close()

    assert cache_cipher.is_plain(path)
    assert sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_only_a_clear_database_is_sealed(tmp_path):
    missing = tmp_path / "none.db"
    clear = tmp_path / "clear.db"
    sqlite3.connect(clear).execute("CREATE TABLE t (x)").connection.close()
    key = _key()

    assert cache_cipher.seal_plain(missing, key) is False
    assert not missing.exists()
    assert cache_cipher.seal_plain(clear, key) is True
    assert cache_cipher.is_sealed(clear)
    assert cache_cipher.seal_plain(clear, key) is False  # already sealed: left alone
    assert cache_cipher.is_sealed(clear)


def test_a_stored_key_that_is_not_hex_is_refused_in_words(tmp_path):
    kept = MemoryTokens()
    kept.set("not a key")

    with pytest.raises(CacheKeyUnusable) as refused:
        cache_key.load(kept, tmp_path / "till.db")

    assert "not a key this till made" in str(refused.value)
