"""The app under uvicorn in a thread of the test process: a server process of its own
beside a subprocess server, whose live feed a test can look into (how many requests
it holds), so a test can wait for a request to be held before it makes a change."""

import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from bench.server_process import free_port
from sync_server.config import Settings
from sync_server.main import create_app


class InProcessServer:
    def __init__(self, database_url: str, **settings: Any) -> None:
        self.app: FastAPI = create_app(Settings(database_url=database_url, **settings))
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def held(self) -> int:
        """Requests held on the live feed right now."""
        return int(self.app.state.feed.waiting)

    def __enter__(self) -> "InProcessServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started or (self._wants_feed() and not self.app.state.feed.live):
            assert time.monotonic() < deadline, "the in-process server did not start"
            time.sleep(0.01)
        return self

    def _wants_feed(self) -> bool:
        return self.app.state.feed.listen_url is not None

    def __exit__(self, *_: object) -> None:
        self.app.state.feed.close()  # answer held requests: uvicorn waits for them
        self.server.should_exit = True
        self.thread.join(30)
        self.app.state.engine.dispose()
