"""The key the till's database is encrypted with: 32 random bytes per till, made here
the first time and kept where the device token is kept (the OS keyring under an entry
of its own; a file only this user reads where no keyring exists). Never derived from
anything typed or printed, and never shown: its repr and every error leave it out."""

import logging
import secrets
from pathlib import Path

from desktop.engine import cache_cipher
from desktop.engine.sync_client import KeyringTokens, TokenStore
from desktop.engine.tokens import FileTokens, keyring_usable

log = logging.getLogger(__name__)

KEY_BYTES = 32
KEY_FILE = "cache-key"  # the fallback file, beside the database (0600)


class CacheKeyUnusable(Exception):
    """The stored key is not one this till made (edited or truncated entry)."""


class CacheKey:
    """The raw key, and the entry it is kept in (so a wipe can replace it there)."""

    def __init__(self, raw: bytes, kept: TokenStore) -> None:
        if len(raw) != KEY_BYTES:
            raise CacheKeyUnusable(f"a cache key is {KEY_BYTES} bytes")
        self._raw = raw
        self._kept = kept

    def literal(self) -> str:
        """SQLCipher's raw-key form (no passphrase KDF), as SQL."""
        return f"\"x'{self._raw.hex()}'\""

    def pragma(self) -> str:
        """The first statement of a connection to the database."""
        return f"PRAGMA key = {self.literal()}"

    def replaced(self) -> "CacheKey":
        """A new random key in place of this one: the old entry deleted, the new one
        written. The caller re-encrypts the database with it."""
        new = CacheKey(secrets.token_bytes(KEY_BYTES), self._kept)
        self._kept.delete()
        self._kept.set(new._raw.hex())
        return new

    def __repr__(self) -> str:
        return "CacheKey(<hidden>)"


def key_store(data_dir: Path, account: str, tokens: TokenStore | None = None) -> TokenStore:
    """Beside the device token: the keyring when the token is there (or, by default,
    when the machine has one), else the 0600 file. A till given a token store of its
    own that is not the keyring (tests, benchmarks, the self-test) keeps the key in
    the file too."""
    if isinstance(tokens, KeyringTokens) or (tokens is None and keyring_usable()):
        return KeyringTokens(f"{account}:cache-key")
    if tokens is None:
        log.warning(
            "no OS keyring available: the till's database key is kept in %s (mode 600)",
            data_dir,
        )
    return FileTokens(data_dir / KEY_FILE)


def load(kept: TokenStore, database: Path) -> CacheKey:
    """The till's key, made on first use. A sealed database whose key is gone (a
    keyring reset, a wiped till) can never be read again: it is set aside, not
    deleted, and the till starts empty under a new key."""
    stored = kept.get()
    if stored is not None:
        try:
            return CacheKey(bytes.fromhex(stored), kept)
        except ValueError:
            raise CacheKeyUnusable("the stored cache key is not a key this till made") from None
    if cache_cipher.is_sealed(database):
        aside = cache_cipher.set_aside(database)
        log.warning("the till's database key is gone: its unreadable cache moved to %s", aside)
    raw = secrets.token_bytes(KEY_BYTES)
    kept.set(raw.hex())
    return CacheKey(raw, kept)
