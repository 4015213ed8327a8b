"""requirements-server.lock: the part of requirements.lock the sync server runs.

The till's lock (requirements.lock, made by bin/lock) carries everything: PySide6,
OpenCV, the test and packaging tools. The server image installs only the subset that
sync_server/ and common/ need at run time: the distributions named in SERVER_ROOTS
below and everything they require (markers and extras evaluated for Python 3.11 on
x86_64 Linux, as bin/lock resolves), each entry copied from requirements.lock as it
is, pins and hashes unchanged.

    .venv/bin/python packaging/server/server_lock.py          # rewrite the server lock
    .venv/bin/python packaging/server/server_lock.py --check  # exit 1 if it is stale

Run it after bin/lock. The requirements are read from the installed distributions'
metadata, so .venv must hold requirements.lock (bin/setup). tests/deploy/
test_server_lock.py checks that the two locks agree and that sync_server/ and common/
import nothing outside the server lock.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
FULL_LOCK = ROOT / "requirements.lock"
SERVER_LOCK = ROOT / "requirements-server.lock"

# What the server and common/ run, with the extras they use: pyproject.toml's
# dependencies less the till's (PySide6, OpenCV, zxing-cpp, qrcode, keyring,
# platformdirs, sqlcipher3 for its encrypted cache).
SERVER_ROOTS = (
    "pydantic",
    "pydantic-settings",
    "argon2-cffi",
    "tzdata",
    "fastapi",
    "uvicorn[standard]",
    "sqlalchemy",
    "alembic",
    "psycopg[binary]",
    "httpx",
    "cryptography",
    "h2",
    "email-validator",
    "prometheus-client",
)

HEADER = """\
# The sync server's run-time dependencies: a subset of requirements.lock, each entry
# copied from it unchanged (same pins, same hashes). Made by
#    .venv/bin/python packaging/server/server_lock.py
# after bin/lock; do not edit by hand (tests/deploy/test_server_lock.py compares).
"""

_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def parse_lock(text: str) -> dict[NormalizedName, str]:
    """Each pinned entry of a lock: its normalised name -> its lines (pin and hashes).

    The "# via" comments are left out: they describe the lock they were made for.
    """
    entries: dict[NormalizedName, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match:
            current = entries.setdefault(canonicalize_name(match.group(1)), [])
            current.append(line)
        elif current is not None and line.startswith("    --hash="):
            current.append(line)
        else:
            current = None
    return {name: "\n".join(lines) for name, lines in entries.items()}


def _environment(extra: str) -> dict[str, str]:
    env: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    env.update(python_version="3.11", sys_platform="linux", platform_system="Linux")
    env.update(platform_machine="x86_64", os_name="posix", implementation_name="cpython")
    env["extra"] = extra
    return env


def requires(name: str, extras: Iterable[str]) -> set[Requirement]:
    """What an installed distribution requires, with the given extras, on the server."""
    found: set[Requirement] = set()
    for line in metadata.requires(name) or ():
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate(_environment(e)) for e in ("", *extras)):
            found.add(requirement)
    return found


def closure(roots: Iterable[str]) -> set[NormalizedName]:
    """The roots and everything they require, transitively, by normalised name."""
    seen: dict[NormalizedName, set[str]] = {}
    todo = [Requirement(root) for root in roots]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in seen and extras <= seen[name]:
            continue
        seen[name] = seen.get(name, set()) | extras
        todo.extend(requires(name, seen[name]))
    return set(seen)


def render(full_lock: str) -> str:
    """The server lock's text, made from the full lock's."""
    entries = parse_lock(full_lock)
    names = closure(SERVER_ROOTS)
    missing = sorted(names - entries.keys())
    if missing:
        raise SystemExit(f"not in requirements.lock: {', '.join(missing)}")
    return HEADER + "".join(entries[name] + "\n" for name in sorted(names))


def main(argv: list[str]) -> int:
    text = render(FULL_LOCK.read_text())
    if argv[1:] == ["--check"]:
        if not SERVER_LOCK.exists() or SERVER_LOCK.read_text() != text:
            print(f"{SERVER_LOCK.name} is stale: run {' '.join(argv[:1])}", file=sys.stderr)
            return 1
        return 0
    SERVER_LOCK.write_text(text)
    print(f"{SERVER_LOCK.name}: {text.count('==')} of {len(parse_lock(FULL_LOCK.read_text()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
