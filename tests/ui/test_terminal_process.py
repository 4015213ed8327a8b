"""`loyalty-terminal` as an operator runs it: a process, its arguments, its standard
input, its signals. Issue #12, bugs 4, 11 and 13."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.terminals import pairing_code

TILL = [sys.executable, "-m", "desktop.app"]


def till_env(**extra: str) -> dict[str, str]:
    """This machine's environment without a display nor the till's own settings."""
    drop = ("QT_", "LOYALTY_", "DISPLAY", "WAYLAND_DISPLAY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    # no OS keyring here: the device token goes to a file in the data dir
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return {**env, **extra}


def run_till(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TILL, *args], env=till_env(**env), capture_output=True, text=True, timeout=60
    )


def test_without_a_display_the_till_says_what_is_missing_in_one_line(tmp_path: Path):
    """Caught: Qt aborted with its xcb plugin text and exit 134."""
    result = run_till("--data-dir", str(tmp_path / "till"))

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no display" in lines[0]
    assert "xvfb-run" in lines[0]
    assert "QT_QPA_PLATFORM=offscreen" in lines[0]
    assert "xcb" not in result.stderr


def test_the_self_test_makes_a_data_dir_that_does_not_exist_yet(tmp_path: Path):
    """Caught: "FAIL setup: no scratch directory" for a --data-dir not made yet."""
    result = run_till("--self-test", "--data-dir", str(tmp_path / "new" / "till"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("self-test passed in ")
    assert list(tmp_path.iterdir()) == []  # made for the run, removed after it


def test_help_is_plain_text_and_names_every_option():
    """Caught: reST backticks in the description; --sync-interval without a help."""
    result = run_till("--help")

    assert result.returncode == 0
    assert "`" not in result.stdout
    assert "--sync-interval SECONDS" in result.stdout
    assert "seconds between two syncs" in result.stdout
    assert "'-' reads it from standard input" in " ".join(result.stdout.split())
    assert "LOYALTY_PAIRING_CODE" in result.stdout


def wait_for(condition, proc: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"the till ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_code_from_stdin_pairs_unseen_and_ctrl_c_closes_the_till(ui_server, tmp_path: Path):
    """Caught: the code was only an argument (visible in ps); and SIGINT raised
    KeyboardInterrupt in a Qt slot, printed a traceback and left the till running."""
    shop = ui_server.shop()
    with httpx.Client(base_url=ui_server.url, headers=shop.owner_headers) as http:
        code = pairing_code(http)
    data_dir = tmp_path / "till"
    (tmp_path / "code").write_text(code + "\n")  # as a pipe or a redirect hands it over
    with (tmp_path / "code").open() as stdin:
        proc = subprocess.Popen(
            [*TILL, "--data-dir", str(data_dir), "--server", ui_server.url, "--pairing-code", "-"],
            env=till_env(QT_QPA_PLATFORM="offscreen"),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        wait_for((data_dir / "device-token").exists, proc)  # paired
        time.sleep(1)  # the window is up and its event loop runs
        assert code.encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()

        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "KeyboardInterrupt" not in err
    assert "Traceback" not in err
    assert "SIGINT: closing the till" in err
