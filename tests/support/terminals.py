"""A real terminal engine for tests, its token kept in memory (the keyring itself is
covered by the sync client tests), and the owner's pairing code."""

from pathlib import Path

import httpx

from desktop.engine.terminal import Terminal
from desktop.engine.tokens import MemoryTokens


def pairing_code(http: httpx.Client) -> str:
    response = http.post("/api/v1/terminals/pairing-codes")
    assert response.status_code in (200, 201), response.text
    return str(response.json()["code"])


def new_terminal(path: Path) -> Terminal:
    return Terminal(path, tokens=MemoryTokens())
