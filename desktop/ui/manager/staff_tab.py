"""Staff PINs of this store: add, rename, reset, unlock, delete.

The form below the list works on the selected row: "Rename" takes the name field,
"Reset PIN" the PIN field. PINs are typed hidden and cleared once sent.
"""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.engine.manager_api import ManagerApi, StaffPin
from desktop.ui.background import Background
from desktop.ui.manager import ManagerTab, touch_table

COLUMNS = ("Name", "Status", "Failed attempts", "Last used")


class StaffTab(ManagerTab):
    """Deleting asks first (``confirm``); the ledger keeps naming a deleted PIN."""

    def __init__(
        self, api: ManagerApi, background: Background, parent: QWidget | None = None
    ) -> None:
        super().__init__(api, background, parent)
        self.pins: list[StaffPin] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        touch_table(self.table)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Staff member's name")
        self.name.setMaxLength(100)
        self.pin = QLineEdit()
        self.pin.setPlaceholderText("4 to 8 digits")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.pin.setMaxLength(8)
        self.pin.returnPressed.connect(self.add)

        self.add_button = self._button("Add (Ctrl+N)", self.add)
        self.rename_button = self._button("Rename", self.rename)
        self.reset_button = self._button("Reset PIN", self.reset)
        self.unlock_button = self._button("Unlock", self.unlock)
        self.delete_button = self._button("Delete (Del)", self.delete)
        self.refresh_button = self._button("Refresh (F5)", self.refresh)
        QShortcut(QKeySequence("Ctrl+N"), self, self.add)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, self.delete)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("PIN", self.pin)
        buttons = QHBoxLayout()
        for button in (
            self.add_button,
            self.rename_button,
            self.reset_button,
            self.unlock_button,
            self.delete_button,
            self.refresh_button,
        ):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self._selection_changed()

    def _button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        return button

    def refresh(self) -> None:
        self.call(self.api.staff_pins, self._show)

    def selected(self) -> StaffPin | None:
        rows = self.table.selectionModel().selectedRows()
        return self.pins[rows[0].row()] if rows else None

    def select(self, pin_id: int) -> None:
        for row, pin in enumerate(self.pins):
            if pin.id == pin_id:
                self.table.selectRow(row)

    def add(self) -> None:
        name, pin = self.name.text().strip(), self._take_pin()
        if not name:
            self.failed.emit("Type the staff member's name.")
            return
        self.call(lambda: self.api.create_pin(name, pin), self._changed, f"{name} can now sign in.")

    def rename(self) -> None:
        chosen, name = self.selected(), self.name.text().strip()
        if chosen is None or not name:
            self.failed.emit("Select a staff member and type the new name.")
            return
        self.call(lambda: self.api.rename_pin(chosen.id, name), self._changed, f"Renamed {name}.")

    def reset(self) -> None:
        chosen, pin = self.selected(), self._take_pin()
        if chosen is None:
            self.failed.emit("Select a staff member first.")
            return
        self.call(
            lambda: self.api.reset_pin(chosen.id, pin),
            self._changed,
            f"{chosen.name} has a new PIN.",
        )

    def unlock(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self.failed.emit("Select a staff member first.")
            return
        self.call(
            lambda: self.api.unlock_pin(chosen.id), self._changed, f"{chosen.name} is unlocked."
        )

    def delete(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self.failed.emit("Select a staff member first.")
            return
        if not self.confirm(f"Delete the PIN of {chosen.name}? They can no longer sign in."):
            return
        self.call(
            lambda: self.api.delete_pin(chosen.id), self._changed, f"{chosen.name} is deleted."
        )

    def _take_pin(self) -> str:
        pin = self.pin.text()
        self.pin.clear()
        return pin

    def _changed(self, _: object) -> None:
        self.refresh()

    def _show(self, pins: list[StaffPin]) -> None:
        self.pins = pins
        self.table.setRowCount(len(pins))
        for row, pin in enumerate(pins):
            cells = (
                pin.name,
                self._status(pin),
                str(pin.failed_attempts),
                self.when(pin.last_used_at),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self._selection_changed()

    def _selection_changed(self) -> None:
        chosen = self.selected()
        for button in (self.rename_button, self.reset_button, self.delete_button):
            button.setEnabled(chosen is not None)
        self.unlock_button.setEnabled(
            chosen is not None and (chosen.is_locked or chosen.failed_attempts > 0)
        )
        if chosen is not None:
            self.name.setText(chosen.name)

    def _status(self, pin: StaffPin) -> str:
        if not pin.is_active:
            return "Inactive"
        if pin.is_locked:
            return f"Locked until {self.when(pin.locked_until)}"
        return "Active"
