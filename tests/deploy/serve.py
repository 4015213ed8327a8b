"""A real ``loyalty-server`` process for the deploy tests: started from an argv, its log
(stderr) kept in a file, stopped with SIGTERM like systemd and docker stop do."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import free_port

VENV_BIN = str(Path(sys.executable).parent)


def server_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    """The environment an operator's env file would give, on a free local port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return {
        **env,
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        "DATABASE_URL": database_url,
        "LOYALTY_HOST": "127.0.0.1",
        "LOYALTY_PORT": str(port),
        **extra,
    }


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.proc, self.url, self.log = proc, url, log

    def log_text(self) -> str:
        return self.log.read_text()

    def log_records(self) -> list[dict[str, Any]]:
        """Every line, parsed: a line that is not one JSON object fails the test."""
        return [json.loads(line) for line in self.log_text().splitlines() if line]

    def wait_for_log(self, needle: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while needle not in self.log_text():
            assert self.proc.poll() is None, f"server exited:\n{self.log_text()}"
            assert time.monotonic() < deadline, f"never logged {needle!r}:\n{self.log_text()}"
            time.sleep(0.05)

    def wait_for_record(self, seconds: float = 60, **fields: Any) -> None:
        """Until a log record carries all these fields."""
        deadline = time.monotonic() + seconds
        while not any(fields.items() <= r.items() for r in self.log_records()):
            assert self.proc.poll() is None, f"server exited:\n{self.log_text()}"
            assert time.monotonic() < deadline, f"never logged {fields}:\n{self.log_text()}"
            time.sleep(0.05)

    def terminate(self, seconds: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=seconds)


@contextmanager
def serving(
    argv: Sequence[str],
    env: dict[str, str],
    port: int,
    log: Path,
    cwd: Path | None = None,
    probe: str = "/health/ready",
) -> Iterator[Served]:
    """Run ``argv`` unchanged until ``probe`` answers 200; stop it and its worker
    processes if the test left them running.

    It runs in a process group of its own: a server with ``--workers 2`` forks its
    workers, and killing only the supervisor left them running, orphaned, after the
    test (seen: two from tests/test_api_fuzz.py still alive 40 minutes on)."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            list(argv),
            env=env,
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(proc, f"http://127.0.0.1:{port}", log)
    try:
        _wait_ready(served, probe)
        yield served
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes], seconds: float = 15) -> None:
    """SIGTERM to the whole group (the server stops its workers), SIGKILL after
    ``seconds``; then nothing of it is left, whatever the test did to the supervisor."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break  # the group is gone
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            continue
        if not _group_alive(proc.pid):
            break
        time.sleep(0.2 if sig == signal.SIGTERM else 0)
    proc.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_ready(served: Served, probe: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert served.proc.poll() is None, f"server exited:\n{served.log_text()}"
        try:
            if httpx.get(f"{served.url}{probe}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"not ready in time:\n{served.log_text()}"
        time.sleep(0.1)


__all__ = ["Served", "free_port", "server_env", "serving"]
