"""Where the till keeps its database: the user data dir of the OS (``platformdirs``),
or ``LOYALTY_TERMINAL_DATA_DIR`` (a second till on one machine, tests, kiosks); and
keeping that directory to this OS user (docs/security.md, "A stolen till PC")."""

import os
from pathlib import Path

import platformdirs

APP_NAME = "loyalty-terminal"
DATABASE_NAME = "till.db"
# Files the till may leave in its data dir that hold customer data, PIN hashes, the
# device token or the database key (those two files only when the machine has no keyring).
PRIVATE_FILES = (
    DATABASE_NAME,
    f"{DATABASE_NAME}-wal",
    f"{DATABASE_NAME}-shm",
    "device-token",
    "cache-key",
)
ENV_DATA_DIR = "LOYALTY_TERMINAL_DATA_DIR"


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_path() -> Path:
    return data_dir() / DATABASE_NAME


def make_private(directory: Path) -> None:
    """The data dir 0700 and its files 0600, whatever the umask: another account on the
    till PC (a shared login, a backup agent) reads nothing. The database file is made
    here, 0600, before SQLite opens it, because SQLite gives its -wal and -shm files the
    mode of the database. (On Windows the per-user profile's ACL does this job.)"""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name != "posix":
        return
    directory.chmod(0o700)
    os.close(os.open(directory / DATABASE_NAME, os.O_RDWR | os.O_CREAT, 0o600))
    for name in PRIVATE_FILES:
        path = directory / name
        if path.exists():
            path.chmod(0o600)
