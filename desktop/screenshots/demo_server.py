"""The demo sync server for the screenshots: ``loyalty-server demo --serve`` in a child
process on a free loopback port, over an SQLite file in a scratch directory.

A subprocess, not an import: the till and the server never import each other (the
import contracts in pyproject.toml), and stopping it is how the till goes offline."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

# What `loyalty-server demo` creates and prints (sync_server/demo.py).
OWNER_EMAIL = "demo@example.com"
OWNER_PASSWORD = "demo-owner-2026"  # noqa: S105 - the demo's published credentials
STORE_ID = 1  # "Demo Café — Centre"
STAFF_NAME, STAFF_PIN = "Alice", "1234"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DemoServer:
    """Start with ``start()``; ``stop()`` ends it (and is safe to call twice)."""

    def __init__(self, directory: Path) -> None:
        self.database = directory / "loyalty.db"
        self.log = directory / "server.log"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.database}",
            "LOYALTY_LOG_FORMAT": "plain",
        }
        command = [sys.executable, "-m", "sync_server.cli", "demo", "--serve"]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [*command, "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stop() ends every worker
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the demo server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the demo server did not answer in {timeout:.0f} s ({self.log})")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
