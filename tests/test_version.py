"""One version for the project (common/version.py): the console scripts, /health, the
OpenAPI document, the package metadata's source and the changelog all say the same."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from common import protocol
from common.version import VERSION

ROOT = Path(__file__).resolve().parents[1]
NO_DISPLAY = {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}


@pytest.mark.parametrize("script", ["loyalty-server", "loyalty-terminal"])
def test_each_console_script_prints_the_version(script):
    # The till's --version needs no display: it answers before Qt is imported.
    done = subprocess.run(
        [str(Path(sys.executable).with_name(script)), "--version"],
        env={k: v for k, v in os.environ.items() if k not in NO_DISPLAY},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{script} {VERSION}\n"


def test_health_and_the_api_document_carry_the_version(client: TestClient):
    health = client.get("/health")

    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "version": VERSION,
        "protocol_oldest": protocol.OLDEST,
        "protocol_newest": protocol.NEWEST,
    }
    document = client.get("/openapi.json").json()
    assert document["info"]["version"] == VERSION
    schema = document["components"]["schemas"]["Health"]
    assert set(schema["required"]) == {"status", "version", "protocol_oldest", "protocol_newest"}


def test_the_package_takes_its_version_from_the_code():
    """The till's bundle has no package metadata, so the constant is the source."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "common.version.VERSION"}


def test_the_changelog_describes_this_version_first():
    releases = re.findall(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)

    assert releases, "CHANGELOG.md has no '## [x.y.z] - date' sections"
    newest = next(r for r in releases if r != "Unreleased")
    assert newest == VERSION, f"CHANGELOG.md's newest release is {newest}, the code says {VERSION}"
