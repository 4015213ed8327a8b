"""The operator's commands, run as the installed console script in a subprocess."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

SCRIPT = str(Path(sys.executable).with_name("loyalty-server"))


def run(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args],
        env={**os.environ, "DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_demo_seeds_once_and_prints_what_it_made(url):
    first = run(url, "demo")
    second = run(url, "demo")

    assert first.returncode == 0, first.stderr
    assert "demo@example.com" in first.stdout
    assert first.stdout.count("  card 1000000") == 8
    assert "staff PIN" in first.stdout
    assert "already present" in second.stdout
    assert "  card " not in second.stdout


def test_admin_commands_create_a_merchant_a_store_and_logins(url):
    run(url, "migrate")
    merchant = run(url, "create-merchant", "Bakery")
    store = run(url, "create-store", "--merchant-id", "1", "--timezone", "Europe/Paris", "Main")
    owner = run(
        url,
        "create-owner",
        "--merchant-id",
        "1",
        "o@bakery.example",
        LOYALTY_PASSWORD="long-enough",
    )
    manager = run(
        url, "create-manager", "--store-id", "1", "m@bakery.example", "--password", "long-enough"
    )
    code = run(url, "pairing-code", "--store-id", "1")

    assert [merchant.stdout, store.stdout, owner.stdout, manager.stdout] == [
        "merchant 1\n",
        "store 1\n",
        "user 1\n",
        "user 2\n",
    ]
    assert code.stdout.startswith("pairing code ")


@pytest.mark.parametrize(
    "args",
    [
        ("create-store", "--merchant-id", "99", "Nowhere"),
        ("create-store", "--merchant-id", "1", "--timezone", "Mars/Olympus", "X"),
        ("create-owner", "--merchant-id", "99", "x@example.com", "--password", "long-enough"),
        ("create-owner", "--merchant-id", "1", "x@example.com", "--password", "short"),
        ("pairing-code", "--store-id", "99"),
    ],
)
def test_a_refused_admin_command_says_why_and_exits_1_without_a_traceback(url, args):
    run(url, "migrate")
    run(url, "create-merchant", "Bakery")

    result = run(url, *args)

    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_a_duplicate_login_email_is_refused(url):
    run(url, "migrate")
    run(url, "create-merchant", "Bakery")
    run(url, "create-owner", "--merchant-id", "1", "o@example.com", "--password", "long-enough")

    again = run(
        url, "create-owner", "--merchant-id", "1", "o@example.com", "--password", "long-enough"
    )

    assert again.returncode == 1
    assert "already has a login" in again.stderr


def test_serve_answers_and_stops_cleanly_on_sigterm(url):
    run(url, "migrate")
    port = free_port()
    proc = subprocess.Popen(
        [SCRIPT, "serve", "--port", str(port)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/v1/auth/me").status_code
            except httpx.HTTPError:
                time.sleep(0.2)
        assert status == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert proc.returncode in (0, -signal.SIGTERM)
    assert b"Finished server process" in err
