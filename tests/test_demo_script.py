"""`./bin/demo` as a person runs it in a terminal: a port of their choice, then Ctrl-C,
which the terminal sends to the whole foreground process group. Issue #12, bugs 4, 10."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "bin" / "demo")


def demo_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    drop = ("QT_", "LOYALTY_", "DISPLAY", "WAYLAND_DISPLAY", "DATABASE_URL", "PORT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}",
        TERMINAL_DIR=str(tmp_path / "terminal"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # token in the data dir
    )
    return {**env, **extra}


def start_demo(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [DEMO], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_for_text(proc: subprocess.Popen[bytes], log: Path, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while text not in (seen := log.read_text(errors="replace")):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_group(proc)
            pytest.fail(f"no {text!r} from ./bin/demo:\n{seen}")
        time.sleep(0.2)
    return seen


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def ctrl_c(proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """SIGINT to the process group, as a terminal's Ctrl-C; then everything must end."""
    os.killpg(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + seconds
    while group_alive(proc.pid) and time.monotonic() < deadline:
        proc.poll()
        time.sleep(0.2)
    alive = group_alive(proc.pid)
    stop_group(proc)
    assert not alive, "a process of ./bin/demo outlived Ctrl-C"


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    if group_alive(proc.pid):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_the_demo_prints_the_port_it_serves_on_and_ctrl_c_stops_it(tmp_path: Path):
    """Caught: PORT=8077 ./bin/demo printed "Server: http://127.0.0.1:8000"."""
    port, log = free_port(), tmp_path / "demo.log"
    proc = start_demo(demo_env(tmp_path, port), log)

    seen = wait_for_text(proc, log, "the server keeps serving", 120)  # headless: no till
    ctrl_c(proc)

    assert f"Server: http://127.0.0.1:{port}  (API docs:" in seen
    assert "127.0.0.1:8000" not in seen


def test_ctrl_c_stops_the_till_and_the_server(tmp_path: Path):
    """Caught: Ctrl-C stopped the server, but the till printed a KeyboardInterrupt
    traceback and kept its window open, offline. The till must close through its own
    handler (its log line), not be killed by the script."""
    port, log = free_port(), tmp_path / "demo.log"
    env = demo_env(tmp_path, port, QT_QPA_PLATFORM="offscreen")
    proc = start_demo(env, log)

    wait_for_text(proc, log, "till window open", 120)
    time.sleep(1)  # its event loop runs
    ctrl_c(proc)

    seen = log.read_text(errors="replace")
    assert "KeyboardInterrupt" not in seen
    assert "Traceback" not in seen
    assert "SIGINT: closing the till" in seen
    assert "/sync/pull" not in seen  # the till's pulls are not logged either (httpx)


def test_the_demo_console_stays_quiet_while_a_till_syncs(tmp_path: Path):
    """Caught: a request line per sync poll of the till, every few seconds, at the
    default level, scrolling the printed credentials away."""
    port, log = free_port(), tmp_path / "demo.log"
    env = demo_env(tmp_path, port)
    proc = start_demo(env, log)
    wait_for_text(proc, log, "the server keeps serving", 120)  # headless: server only
    issued = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "loyalty-server"), "pairing-code", "--store-id", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    code = issued.stdout.split()[2]  # "pairing code CODE (...)"
    url = f"http://127.0.0.1:{port}/api/v1/sync"
    with httpx.Client(timeout=30) as http:
        paired = http.post(f"{url}/pair", json={"code": code, "name": "Quiet till"})
        assert paired.status_code == 200, paired.text
        auth = {"Authorization": f"Bearer {paired.json()['device_token']}"}
        for _ in range(3):
            assert http.get(f"{url}/pull", headers=auth).status_code == 200
    ctrl_c(proc)  # every line the server wrote is in the log once it has stopped

    seen = log.read_text(errors="replace")
    assert "/sync/pull" not in seen
    assert "/sync/pair" not in seen
    assert "  owner login: " in seen  # the credentials are still printed
