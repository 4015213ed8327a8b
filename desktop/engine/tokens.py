"""Where the till's device token is kept: the OS keyring when the machine has one; on
a till without any keyring service (a bare kiosk install) a file readable by this
user only, next to the database, with a warning in the log — a till that cannot keep
its token could not work at all."""

import contextlib
import logging
import os
from pathlib import Path

import keyring
from keyring.backends import fail

from desktop.engine.sync_client import KeyringTokens, TokenStore

log = logging.getLogger(__name__)


class MemoryTokens:
    """A token for this process only: benchmarks and tests of a throwaway till."""

    def __init__(self) -> None:
        self.token: str | None = None

    def get(self) -> str | None:
        return self.token

    def set(self, token: str) -> None:
        self.token = token

    def delete(self) -> None:
        self.token = None


class FileTokens:
    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self) -> str | None:
        try:
            return self.path.read_text().strip() or None
        except FileNotFoundError:
            return None

    def set(self, token: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(token)

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def keyring_usable() -> bool:
    backend = keyring.get_keyring()
    return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0


def default_tokens(data_dir: Path, account: str) -> TokenStore:
    if keyring_usable():
        return KeyringTokens(account)
    log.warning("no OS keyring available: the device token is kept in %s (mode 600)", data_dir)
    return FileTokens(data_dir / "device-token")
