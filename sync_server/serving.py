"""``loyalty-server serve``: uvicorn with our logging, metrics shared across workers, and
a bounded graceful shutdown.

Only the standard library and the settings are imported at the top: prometheus_client
reads ``PROMETHEUS_MULTIPROC_DIR`` when first imported, so it must be set before that.
"""

import os
import shutil
import signal
import tempfile
from pathlib import Path
from types import FrameType

from sync_server.config import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM/SIGINT: then stop accepting, let in-flight requests finish
    (up to ``shutdown_grace_seconds``), and return."""
    metrics_dir = prepare_metrics_dir(settings.metrics_dir)
    _stop_signals_end_cleanly()
    try:
        import uvicorn

        from sync_server.observability.logs import logging_config

        uvicorn.run(
            "sync_server.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=logging_config(settings),
            access_log=False,  # it would log query strings; our middleware logs requests
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
            timeout_worker_healthcheck=settings.worker_healthcheck_seconds,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
    finally:
        if settings.metrics_dir is None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _stop_signals_end_cleanly() -> None:
    """A single-process uvicorn re-raises the stop signal after its graceful shutdown,
    to the handler it found: with the default one the process would die "killed by
    SIGTERM". A stop that was asked for and completed is a clean exit (status 0)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_cleanly)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def prepare_metrics_dir(configured: Path | None) -> Path:
    """An empty directory for the workers' metric files: files of a previous run would
    be counted again. A fresh temporary one unless the operator chose a place."""
    if configured is None:
        path = Path(tempfile.mkdtemp(prefix="loyalty-metrics-"))
    else:
        path = configured
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path
