"""Where the till keeps its database: the user data dir of the OS (``platformdirs``),
or ``LOYALTY_TERMINAL_DATA_DIR`` (a second till on one machine, tests, kiosks)."""

import os
from pathlib import Path

import platformdirs

APP_NAME = "loyalty-terminal"
ENV_DATA_DIR = "LOYALTY_TERMINAL_DATA_DIR"


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_path() -> Path:
    return data_dir() / "till.db"
