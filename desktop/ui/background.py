"""Blocking work (HTTP, argon2id, SQLite fsync, a redemption waiting for the server)
runs on a thread pool; its result is delivered back on the UI thread. A widget never
waits: it asks, and renders the answer when it comes."""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

T = TypeVar("T")
log = logging.getLogger(__name__)

# Jobs in flight, kept alive here (not by their Background): a widget closed while its
# job still runs must not take the job's QObject with it — the pool thread would then
# signal a deleted object.
_IN_FLIGHT: set["_Job"] = set()


class _Job(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], job: _Job) -> None:
        super().__init__()
        self.fn = fn
        self.job = job

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # handed to the UI thread, shown there
            self._tell(self.job.failed, exc)
        else:
            self._tell(self.job.done, result)

    def _tell(self, signal: Any, value: object) -> None:
        """A job that ends after its window closed (Ctrl-C during a sync) has nobody
        to tell: its signal's QObject is gone, and that is not an error."""
        try:
            signal.emit(value)
        except RuntimeError:
            log.debug("a background job ended after its window closed")


class Background(QObject):
    """One per window. ``pending`` counts jobs in flight (tests wait for zero)."""

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._jobs: set[_Job] = set()

    @property
    def pending(self) -> int:
        return len(self._jobs)

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        job = _Job()  # made on the UI thread: its signals are delivered there
        self._jobs.add(job)
        _IN_FLIGHT.add(job)

        def finish(result: object) -> None:
            self._jobs.discard(job)
            _IN_FLIGHT.discard(job)
            job.deleteLater()  # on the UI thread, once its signal is handled
            on_done(result)  # type: ignore[arg-type]

        def fail(exc: object) -> None:
            self._jobs.discard(job)
            _IN_FLIGHT.discard(job)
            job.deleteLater()
            assert isinstance(exc, Exception)
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background job failed", exc_info=exc)

        job.done.connect(finish)
        job.failed.connect(fail)
        self.pool.start(_Runnable(fn, job))
