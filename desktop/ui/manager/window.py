"""The manager area: one tab per job, one message line for what the server said.

A tab loads its data each time it is shown (F5 loads it again). What the server refuses,
including a store manager's 403 on owner-only work, is shown as the server worded it.
"""

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.engine.manager_api import ManagerApi, error_message
from desktop.ui.background import Background
from desktop.ui.manager import TOUCH_STYLE, ManagerTab
from desktop.ui.manager.adjust_tab import AdjustTab
from desktop.ui.manager.program_tab import ProgramTab
from desktop.ui.manager.staff_tab import StaffTab
from desktop.ui.manager.stats_tab import StatsTab
from desktop.ui.manager.terminals_tab import TerminalsTab
from desktop.ui.placement import fit_on_screen

ROLE_NAMES = {"merchant_owner": "Owner", "store_manager": "Store manager"}


class ManagerWindow(QMainWindow):
    """Owns a logged-in ``ManagerApi``. "Log out" revokes the token on the server and
    closes; closing the window (or Esc) drops the connection and, with it, the in-memory
    token. Times are on the managed store's clock (``zone``: the till's store's)."""

    def __init__(self, api: ManagerApi, parent: QWidget | None = None, zone: str = "UTC") -> None:
        super().__init__(parent)
        self.api = api
        self.zone = zone
        self.background = Background(self)
        self.setWindowTitle("Loyalty — manager")
        self.setStyleSheet(TOUCH_STYLE)
        self.program_tab = ProgramTab(api, self.background)
        self.staff_tab = StaffTab(api, self.background)
        self.adjust_tab = AdjustTab(api, self.background)
        self.terminals_tab = TerminalsTab(api, self.background)
        self.stats_tab = StatsTab(api, self.background)
        self.tabs = QTabWidget()
        titles = ("&Program", "S&taff PINs", "P&oints adjustment", "T&erminals", "Stat&s")
        for number, (tab, title) in enumerate(zip(self._all_tabs(), titles, strict=True), 1):
            tab.zone = zone
            self.tabs.addTab(tab, title)
            tab.failed.connect(self.show_error)
            tab.succeeded.connect(self.show_info)
            QShortcut(QKeySequence(f"Ctrl+{number}"), self, lambda i=number: self._go(i - 1))
        self.tabs.currentChanged.connect(self._tab_shown)

        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.identity = QLabel(self._identity({}))
        self.logout_button = QPushButton("Log out (Ctrl+Q)")
        self.logout_button.clicked.connect(self.log_out)
        QShortcut(QKeySequence("Ctrl+Q"), self, self.log_out)
        QShortcut(QKeySequence("F5"), self, self.refresh_current)

        header = QHBoxLayout()
        header.addWidget(self.identity, 1)
        header.addWidget(self.logout_button)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        self.setCentralWidget(central)
        fit_on_screen(self, QSize(900, 680))
        self.background.run(api.store_names, self._named, lambda _: None)
        self.refresh_current()

    def _all_tabs(self) -> tuple[ManagerTab, ...]:
        return (
            self.program_tab,
            self.staff_tab,
            self.adjust_tab,
            self.terminals_tab,
            self.stats_tab,
        )

    def current_tab(self) -> ManagerTab:
        return self._all_tabs()[self.tabs.currentIndex()]

    def refresh_current(self) -> None:
        self.current_tab().refresh()

    def show_error(self, text: str) -> None:
        self._say(text, "error")

    def show_info(self, text: str) -> None:
        self._say(text, "info")

    def log_out(self) -> None:
        self.logout_button.setEnabled(False)
        self.background.run(self.api.logout, self._logged_out, self._logout_failed)

    def _logged_out(self, _: None) -> None:
        self.close()

    def _logout_failed(self, exc: Exception) -> None:
        self.logout_button.setEnabled(True)
        self.show_error(error_message(exc))

    def _identity(self, names: dict[int, str]) -> str:
        who = ROLE_NAMES.get(self.api.role, self.api.role)
        return f"{who} · {names.get(self.api.store_id) or f'store #{self.api.store_id}'}"

    def _named(self, names: dict[int, str]) -> None:
        """Store names arrived: the header and the tabs show names, not ids (without
        them, e.g. an older server, "store #2" stays)."""
        self.identity.setText(self._identity(names))
        for tab in self._all_tabs():
            tab.store_names = names
            tab.stores_named()

    def _go(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def _tab_shown(self, _: int) -> None:
        self._say("", "info")
        self.refresh_current()

    def _say(self, text: str, kind: str) -> None:
        self.message.setProperty("kind", kind)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc closes, as it does a dialog; a field or a cell being edited takes its own
        Esc first (it cancels the edit), and only an Esc no one took arrives here."""
        if event.key() == Qt.Key.Key_Escape and event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.api.close()
        super().closeEvent(event)
