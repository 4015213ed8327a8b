"""requirements-server.lock, the server image's lock, cannot drift from requirements.lock.

It must be the part of the till's lock that packaging/server/server_lock.py derives
(same pins, same hashes), and sync_server/ and common/ must import nothing that it
leaves out: the image would start and fail on its first request.
"""

import ast
import importlib.util
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _server_lock_module() -> ModuleType:
    path = ROOT / "packaging/server/server_lock.py"
    spec = importlib.util.spec_from_file_location("server_lock", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


server_lock = _server_lock_module()


def _entries(name: str) -> dict[str, str]:
    entries: dict[str, str] = server_lock.parse_lock((ROOT / name).read_text())
    return entries


def test_every_pin_of_the_server_lock_is_in_the_full_lock_with_the_same_hashes() -> None:
    full, server = _entries("requirements.lock"), _entries("requirements-server.lock")
    assert len(server) >= 20
    assert {n: full.get(n) for n in server} == server
    assert "pyside6-essentials" in full
    assert not {"pyside6-essentials", "opencv-python-headless", "numpy"} & server.keys()


def test_the_server_lock_is_what_server_lock_py_derives_from_the_full_lock() -> None:
    """Stale after bin/lock changed a version, or a requirement gained a dependency."""
    derived = server_lock.render((ROOT / "requirements.lock").read_text())
    assert (ROOT / "requirements-server.lock").read_text() == derived, (
        "run .venv/bin/python packaging/server/server_lock.py"
    )


def _imported_top_level_modules(*packages: str) -> set[str]:
    found: set[str] = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.partition(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.partition(".")[0])
    return found - set(sys.stdlib_module_names) - {"common", "sync_server"}


def test_the_server_and_common_import_nothing_outside_the_server_lock() -> None:
    locked = _entries("requirements-server.lock").keys()
    providers = metadata.packages_distributions()
    outside: dict[str, list[str]] = {}
    for module in sorted(_imported_top_level_modules("sync_server", "common")):
        dists = {canonicalize_name(d) for d in providers.get(module, [module])}
        if not dists & locked:
            outside[module] = sorted(dists)
    assert outside == {}
