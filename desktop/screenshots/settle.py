"""Waiting for the till's background work the way qtbot does: run the event loop until
a condition holds, and past a deadline fail with what was awaited and what was seen."""

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication


class NotSettled(RuntimeError):
    """A view never reached the state it was waited for."""


def wait_until(
    condition: Callable[[], bool],
    what: str,
    seen: Callable[[], str] = lambda: "",
    timeout: float = 20.0,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise NotSettled(f"waited {timeout:.0f} s for {what}; saw: {seen() or 'nothing'}")
        pause(20)


def pause(ms: int) -> None:
    """Let queued events, timers and paints run for ``ms`` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    QApplication.processEvents()
