"""The sync client's state, carried from its worker thread into Qt as a signal, and
the status bar that shows it: online or not, ops waiting, refusals, last sync."""

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from desktop.engine.sync_client import SyncState
from desktop.engine.terminal import Terminal
from desktop.ui.wording import store_time


class SyncBridge(QObject):
    """Emitted from the sync thread; Qt queues it to the receivers on the UI thread."""

    changed = Signal(object)

    def __init__(self, terminal: Terminal, parent: QObject | None = None) -> None:
        super().__init__(parent)
        terminal.on_state(self.changed.emit)


class TillStatusBar(QStatusBar):
    """``zone`` names the store's time zone (asked at each change: it arrives with the
    first pull); the last sync is on the store's clock like every time the till shows."""

    def __init__(
        self, zone: Callable[[], str] = lambda: "UTC", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.zone = zone
        self.online = QLabel()
        self.pending = QLabel()
        self.rejected = QLabel()
        self.divergent = QLabel()  # the cache still differs from the server after a repair
        self.last_sync = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the total is not known before the last page
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        for label in (self.online, self.pending, self.rejected, self.divergent, self.last_sync):
            self.addPermanentWidget(label)
        self.addWidget(self.progress)
        self.show_state(SyncState())

    def show_state(self, state: SyncState) -> None:
        if state.needs_pairing:
            self.online.setText("● Not paired")
        elif state.needs_update:
            self.online.setText("● This till needs an update — working locally")
        elif state.online:
            self.online.setText("● Online")
        else:
            self.online.setText("● Offline — working locally")
        colour = "#1b7f3b" if state.online else "#b3261e"
        self.online.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self.pending.setText(f"{state.pending} waiting to sync")
        needs = "needs" if state.rejected == 1 else "need"
        self.rejected.setText(f"{state.rejected} {needs} attention" if state.rejected else "")
        self.rejected.setStyleSheet("color: #b3261e; font-weight: 600;")
        self.divergent.setText(
            f"Data differs from the server ({state.divergent} parts): call support"
            if state.divergent
            else ""
        )
        self.divergent.setStyleSheet("color: #b3261e; font-weight: 600;")
        self.last_sync.setText(f"Last sync {self._when(state.last_sync_at)}")
        if state.pulling:
            self.progress.setFormat(f"Receiving… {state.received} records")
            self.progress.setTextVisible(True)
            self.progress.show()
        else:
            self.progress.hide()

    def _when(self, at: datetime | None) -> str:
        return "never" if at is None else store_time(at, self.zone())
