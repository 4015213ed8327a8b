"""The staff PIN: the cashier taps their name, then the PIN on a keypad (or types it).
Picking the name first means one argon2id verify per entry whatever the staff count;
a locked PIN shows a countdown instead of the keypad. The dialog says what is being
confirmed for whom, and pre-selects the last cashier who confirmed on this till; a
right PIN signs that cashier in for the shift when the merchant allows it
(desktop/engine/shift.py).

Enter means OK, from any field, and does nothing while no PIN is typed: OK is the
dialog's one default button, the keypad takes no focus and is never a default (Qt
would otherwise make its "1" the default, and each Enter would type a digit)."""

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from common.outcome import Rejected
from desktop.engine.staff import StaffMember
from desktop.engine.terminal import Terminal
from desktop.ui.background import Background
from desktop.ui.style import big_button
from desktop.ui.wording import countdown, say


class PinDialog(QDialog):
    """``staff_pin_id`` is set when accepted."""

    def __init__(
        self,
        terminal: Terminal,
        background: Background,
        parent: QWidget | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        what: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Staff PIN — {what}" if what else "Staff PIN")
        self.terminal = terminal
        self.background = background
        self.now = now
        self.staff_pin_id: int | None = None
        self._closed = False  # a PIN check may answer after Esc: then it is dropped
        self._locked_until: dict[int, datetime] = {}

        self.staff_list = QListWidget()
        self.staff_list.setMinimumWidth(220)
        for member in terminal.staff():
            item = QListWidgetItem(member.name + ("  (locked)" if member.is_locked else ""))
            item.setData(Qt.ItemDataRole.UserRole, member.id)
            self.staff_list.addItem(item)
        if self.staff_list.count() == 1:
            self.staff_list.setCurrentRow(0)
        last = terminal.shift.last_cashier()
        if last is not None:
            self.choose(last)
        self.staff_list.currentItemChanged.connect(lambda *_: self._refresh())

        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("PIN")
        self.pin.setMaxLength(8)
        self.pin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.what = QLabel(what)
        self.what.setObjectName("title")
        self.what.setWordWrap(True)
        self.what.setVisible(bool(what))
        chosen = self.staff_list.currentItem()
        self.message = QLabel(
            f"{chosen.text()}: enter your PIN (or tap your name)."
            if chosen is not None
            else "Tap your name (or ↑ ↓), then enter your PIN."
        )
        self.message.setWordWrap(True)

        keypad = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        for index, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"]):
            button = big_button(key)
            button.setMinimumWidth(72)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the PIN field keeps the focus
            button.clicked.connect(lambda _=False, k=key: self._key(k))
            keypad.addWidget(button, index // 3, index % 3)
            self.keys[key] = button
        self.keys["OK"].setDefault(True)  # Enter anywhere in the dialog
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)

        right = QVBoxLayout()
        right.addWidget(self.pin)
        right.addLayout(keypad)
        right.addWidget(self.message)
        right.addWidget(cancel)
        row = QHBoxLayout()
        row.addWidget(self.staff_list)
        row.addLayout(right)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addLayout(row)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._refresh)
        self.pin.setFocus()
        self._refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Up and Down choose the name from the PIN field: at a first sign-in no name is
        chosen, and a cashier at the keyboard typed the PIN to hear "Tap your name"."""
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(Qt.Key(event.key()))
        if step is None or self.staff_list.count() == 0:
            super().keyPressEvent(event)
            return
        row = self.staff_list.currentRow()
        row = 0 if row < 0 else min(max(row + step, 0), self.staff_list.count() - 1)
        self.staff_list.setCurrentRow(row)
        self._show(f"{self.staff_list.currentItem().text()}: enter your PIN.")
        self.pin.setFocus()

    def selected_staff(self) -> int | None:
        item = self.staff_list.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def choose(self, staff_pin_id: int) -> None:
        for row in range(self.staff_list.count()):
            if self.staff_list.item(row).data(Qt.ItemDataRole.UserRole) == staff_pin_id:
                self.staff_list.setCurrentRow(row)

    def submit(self) -> None:
        """OK or Enter: check the PIN typed for the chosen name; no PIN, no attempt."""
        staff_id, pin = self.selected_staff(), self.pin.text()
        if not pin:
            self.pin.setFocus()
            return
        if staff_id is None:
            self._show("Tap your name (or ↑ ↓) first.")
            return
        self._set_busy(True)
        self.background.run(
            lambda: self.terminal.check_pin(staff_id, pin),
            lambda result: self._checked(staff_id, result),
            lambda exc: self._failed(exc),
        )

    def done(self, result: int) -> None:
        self._closed = True
        super().done(result)

    def _checked(self, staff_id: int, result: int | Rejected) -> None:
        if self._closed:
            return
        self._set_busy(False)
        self.pin.clear()
        if isinstance(result, Rejected):
            if result.code == "STAFF_PIN_LOCKED" and "locked_until" in result.detail:
                self._locked_until[staff_id] = datetime.fromisoformat(
                    str(result.detail["locked_until"])
                )
            self._show(say(result))
            self._refresh()
            return
        self.staff_pin_id = result
        self.terminal.shift.confirmed(result)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        if self._closed:
            return
        self._set_busy(False)
        self._show(f"The PIN could not be checked: {exc}")

    def _key(self, key: str) -> None:
        if key == "OK":
            self.submit()
        elif key == "⌫":
            self.pin.backspace()
        else:
            self.pin.insert(key)
        self.pin.setFocus()

    def _refresh(self) -> None:
        """Lockout countdown for the chosen staff member; keypad off while locked."""
        staff_id = self.selected_staff()
        until = self._locked_until.get(staff_id) if staff_id is not None else None
        if until is None and staff_id is not None:
            until = _locked_until(self.terminal.staff(), staff_id)
        locked = until is not None and until > self.now()
        for button in self.keys.values():
            button.setEnabled(not locked)
        self.pin.setEnabled(not locked)
        if locked:
            assert until is not None
            self._show(
                f"Locked after too many wrong PINs. Try again in {countdown(until, self.now())}."
            )
            self._timer.start()
        else:
            self._timer.stop()

    def _set_busy(self, busy: bool) -> None:
        self.keys["OK"].setEnabled(not busy)
        self.pin.setReadOnly(busy)

    def _show(self, text: str) -> None:
        self.message.setText(text)


def _locked_until(staff: list[StaffMember], staff_id: int) -> datetime | None:
    return next((m.locked_until for m in staff if m.id == staff_id), None)
