"""Who is signed in on this till, always on screen in the status bar, with the key that
signs them out. Shown only where sessions are allowed (the merchant's setting is not 0)."""

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from common.staff_session import SessionEnd
from desktop.engine.shift import Shift
from desktop.ui.wording import local_time

SIGN_OUT_KEY = "Ctrl+L"
REFRESH_MS = 5000  # an idle session ends on its own: the label follows within this

_ENDED = {
    SessionEnd.IDLE: "signed out after a pause",
    SessionEnd.STAFF_LOCKED: "signed out: PIN locked",
    SessionEnd.STAFF_INACTIVE: "signed out: PIN removed",
    SessionEnd.CLOCK_SET_BACK: "signed out: the clock moved",
    SessionEnd.SIGNED_OUT: "signed out",
}


class SignedInLabel(QLabel):
    def __init__(
        self, shift: Shift, zone: Callable[[], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.shift = shift
        self.zone = zone
        self.setObjectName("signed_in")
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        if self.shift.minutes == 0:
            self.hide()
            return
        current = self.shift.current()
        if current is not None:
            until = local_time(current.until, self.zone())
            self.setText(f"Signed in: {current.name} (until {until} if idle)  [{SIGN_OUT_KEY}]")
        else:
            why = _ENDED.get(self.shift.last_end) if self.shift.last_end else None
            self.setText(f"Nobody signed in{f' ({why})' if why else ''}: the next PIN signs in")
        self.show()
