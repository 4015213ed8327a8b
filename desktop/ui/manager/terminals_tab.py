"""The merchant's tills: who is paired, when each was last seen, revoke one, pair one."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.engine.manager_api import ManagerApi, PairingCode, Terminal
from desktop.ui.background import Background
from desktop.ui.manager import ManagerTab, touch_table

COLUMNS = ("Name", "Store", "Paired", "Last seen", "Status")


class TerminalsTab(ManagerTab):
    """Revoking asks first (``confirm``); a revoked till must pair again."""

    def __init__(
        self, api: ManagerApi, background: Background, parent: QWidget | None = None
    ) -> None:
        super().__init__(api, background, parent)
        self.terminals: list[Terminal] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        touch_table(self.table)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.revoke_button = QPushButton("Revoke (Del)")
        self.revoke_button.setEnabled(False)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.pair_button = QPushButton("New pairing code")
        self.pair_button.clicked.connect(self.new_pairing_code)
        self.refresh_button = QPushButton("Refresh (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        self.pairing_code = QLabel()
        self.pairing_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, self.revoke_selected)

        buttons = QHBoxLayout()
        for button in (self.revoke_button, self.pair_button, self.refresh_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.pairing_code)
        layout.addLayout(buttons)

    def refresh(self) -> None:
        self.call(self.api.terminals, self._show)

    def selected(self) -> Terminal | None:
        rows = self.table.selectionModel().selectedRows()
        return self.terminals[rows[0].row()] if rows else None

    def select(self, terminal_id: int) -> None:
        for row, terminal in enumerate(self.terminals):
            if terminal.id == terminal_id:
                self.table.selectRow(row)

    def revoke_selected(self) -> None:
        terminal = self.selected()
        if terminal is None or terminal.is_revoked:
            return
        question = f"Revoke “{terminal.name}”? It stops working at once and must pair again."
        if not self.confirm(question):
            return
        self.call(
            lambda: self.api.revoke_terminal(terminal.id),
            lambda _: self.refresh(),
            f"“{terminal.name}” is revoked.",
        )

    def new_pairing_code(self) -> None:
        self.call(self.api.pairing_code, self._show_code)

    def _show_code(self, code: PairingCode) -> None:
        self.pairing_code.setText(
            f"Pairing code: {code.code}  (one till for {self.store_name(self.api.store_id)}, "
            f"valid until {self.when(code.expires_at)})"
        )

    def _show(self, terminals: list[Terminal]) -> None:
        self.terminals = terminals
        self.table.setRowCount(len(terminals))
        for row, t in enumerate(terminals):
            status = f"Revoked {self.when(t.revoked_at)}" if t.is_revoked else "Active"
            cells = (
                t.name,
                self.store_name(t.store_id),
                self.when(t.created_at),
                self.when(t.last_seen_at),
                status,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self._selection_changed()

    def stores_named(self) -> None:
        self._show(self.terminals)

    def _selection_changed(self) -> None:
        terminal = self.selected()
        self.revoke_button.setEnabled(terminal is not None and not terminal.is_revoked)
