"""Ctrl-C (SIGINT) and SIGTERM close the till as its window's close button does.

Python runs a signal handler only when the interpreter gets control, and while Qt's
event loop waits in C++ it never does: the default SIGINT handler then raised
``KeyboardInterrupt`` in whatever slot ran next, printed a traceback and left the window
open. Here a Python handler closes every window and quits the loop, and a timer hands
the interpreter a moment a few times a second so the handler runs.
"""

import logging
import signal
from types import FrameType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
WAKE_MS = 200


class StopOnSignals:
    """Installed once, before the first window; ``asked`` tells whether a stop came."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.asked = False
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._stop)
        self._wake = QTimer(app)
        self._wake.setInterval(WAKE_MS)
        self._wake.timeout.connect(lambda: None)  # Python code runs: the handler too
        self._wake.start()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("%s: closing the till", signal.Signals(signum).name)
        self.asked = True
        self.app.closeAllWindows()  # each window's closeEvent: camera off, jobs done
        self.app.quit()
