"""Run the real server as uvicorn worker processes, as in production."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.server_process import ServerProcess, free_port

__all__ = ["child_pids", "free_port", "running_server"]


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


@contextmanager
def running_server(database_url: str, workers: int = 2) -> Iterator[str]:
    """Start uvicorn with ``workers`` processes on a free port; yield its base URL."""
    server = ServerProcess(database_url, workers=workers)
    server.start()
    try:
        assert server.proc is not None
        if workers > 1:  # one worker: uvicorn serves in its own process
            assert len(child_pids(server.proc.pid)) >= workers
        yield server.url
    finally:
        server.stop()
