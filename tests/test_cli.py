"""The operator's commands, run as the installed console script in a subprocess."""

import os
import signal
import sqlite3
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


def counts(url: str) -> dict[str, int]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        tables = ("merchants", "stores", "users", "staff_pins", "cards", "ledger_entries")
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_demo_seeds_once_and_prints_what_it_made(url):
    first = run(url, "demo")
    seeded = counts(url)
    second = run(url, "demo")

    assert first.returncode == 0, first.stderr
    assert "owner login: demo@example.com / " in first.stdout
    assert first.stdout.count("  card 1000000") == 8
    assert first.stdout.count("QR LOY1:1000000") == 8
    assert "staff PIN store #1: Alice 1234" in first.stdout
    assert "staff PIN store #2: Emma 5432" in first.stdout
    assert "Server: http://127.0.0.1:8000" in first.stdout
    assert seeded["merchants"] == 1
    assert seeded["stores"] == 2
    assert seeded["users"] == 3  # the owner and a manager per store
    assert seeded["staff_pins"] == 5
    assert seeded["cards"] == 8
    assert seeded["ledger_entries"] > 8 * 3  # card, welcome bonus, earn, and stamps
    assert second.returncode == 0, second.stderr
    assert "already present; nothing added" in second.stdout
    assert counts(url) == seeded
    # The second run shows the same demo again, from the database.
    assert _cards_and_pins(second.stdout) == _cards_and_pins(first.stdout)


def _cards_and_pins(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(("  card", "  staff"))]


def test_demo_adds_nothing_to_a_database_with_other_data(url):
    run(url, "migrate")
    run(url, "create-merchant", "Bakery")

    result = run(url, "demo")

    assert result.returncode == 0, result.stderr
    assert "not the demo; nothing added" in result.stdout
    assert counts(url)["merchants"] == 1


def test_demo_creates_the_folder_of_its_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'loyalty.db'}"

    result = run(url, "demo")

    assert result.returncode == 0, result.stderr
    assert counts(url)["cards"] == 8


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
        ("create-manager", "--store-id", "99", "m@example.com", "--password", "long-enough"),
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


def test_an_unmigrated_database_is_an_error_not_a_traceback(url):
    result = run(url, "create-merchant", "Bakery")

    assert result.returncode == 1
    assert result.stderr.startswith("error: database ")
    assert "loyalty-server migrate" in result.stderr
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
        docs = None
        while time.monotonic() < deadline and docs is None:
            try:
                docs = httpx.get(f"http://127.0.0.1:{port}/docs")
            except httpx.HTTPError:
                time.sleep(0.2)
        assert docs is not None
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/auth/me").status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert proc.returncode in (0, -signal.SIGTERM)
    assert b"Finished server process" in err


def serve_briefly(url: str) -> subprocess.CompletedProcess[str]:
    """``serve`` that should refuse at once; one that serves instead hits the timeout."""
    try:
        return run_with_timeout(url, 30, "serve", "--port", str(free_port()))
    except subprocess.TimeoutExpired:
        pytest.fail("serve started on a database it cannot use")


def run_with_timeout(url: str, seconds: float, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=seconds,
    )


def test_a_database_url_that_is_not_a_url_is_one_line(url):
    """Caught: DATABASE_URL=notaurl loyalty-server serve printed SQLAlchemy's traceback."""
    result = serve_briefly("notaurl")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: configuration: DATABASE_URL is not a database URL "
        "(e.g. sqlite:///var/loyalty.db or postgresql+psycopg://user@host:5432/loyalty)"
    ]


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_serve_refuses_a_database_that_is_missing_or_not_migrated(tmp_path, state):
    """Caught: serve started silently and every login answered 500."""
    path = tmp_path / "shop.db"
    if state == "empty":
        sqlite3.connect(path).close()

    result = serve_briefly(f"sqlite:///{path}")

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: database ")
    assert "loyalty-server migrate" in lines[0]
    assert path.exists() == (state == "empty")  # serve made no empty file


def test_demo_wallet_sets_up_apple_passes_for_the_demo_only(url, tmp_path):
    """./bin/demo evals its output: the settings make a signer, the demo program has
    Apple Wallet on, and a second run keeps the same secret and chain. Planted bugs:
    the program left off, the secret redrawn each run -> each fails."""
    import shlex

    from sqlalchemy import create_engine, text

    from sync_server.config import Settings
    from sync_server.wallet.apple_signer import signer_from_settings

    wallet = tmp_path / "wallet"
    assert run(url, "demo-wallet", str(wallet), "--base-url", "http://x").returncode == 1
    assert run(url, "demo").returncode == 0

    first = run(url, "demo-wallet", str(wallet), "--base-url", "http://127.0.0.1:8000")
    again = run(url, "demo-wallet", str(wallet), "--base-url", "http://127.0.0.1:8000")

    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    exported = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in first.stdout.splitlines()
    )
    settings = Settings(
        database_url=url, **{k.removeprefix("LOYALTY_").lower(): v for k, v in exported.items()}
    )
    assert signer_from_settings(settings) is not None
    assert (wallet / "pass-key.pem").stat().st_mode & 0o077 == 0
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT apple_wallet_enabled FROM programs")).scalar_one()
    engine.dispose()
