"""The manager area (owner or store manager login, online only): thin tabs over
``desktop.engine.manager_api``. This module holds what every tab shares."""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QMessageBox,
    QTableWidget,
    QWidget,
)

from desktop.engine.manager_api import ManagerApi, error_message
from desktop.ui.background import Background
from desktop.ui.wording import store_date_time

T = TypeVar("T")

# Large touch targets (>= 48 px) for fingers on a till screen.
TOUCH_STYLE = """
QLabel, QTableView, QHeaderView, QGroupBox { font-size: 15px; }
QPushButton, QLineEdit, QSpinBox, QComboBox { min-height: 48px; font-size: 15px; }
QPushButton { padding: 0 16px; }
QTabBar::tab { min-height: 48px; min-width: 120px; font-size: 15px; }
QCheckBox { min-height: 48px; }
QCheckBox::indicator { width: 28px; height: 28px; }
QLabel#message[kind="error"] { color: #b00020; font-weight: bold; }
QLabel#message[kind="info"] { color: #1b5e20; }
"""


class ManagerTab(QWidget):
    """One area of the manager window. It asks through ``Background`` and renders the
    answer when it comes, so a slow network never freezes the window.

    Signals:
        failed(str): the server's (or the terminal's) message for a refused action.
        succeeded(str): a short confirmation of a change.
    """

    failed = Signal(str)
    succeeded = Signal(str)

    def __init__(
        self, api: ManagerApi, background: Background, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.api = api
        self.background = background
        self.zone = "UTC"  # the managed store's time zone, set by the window
        self.store_names: dict[int, str] = {}  # filled by the window once loaded

    def when(self, moment: datetime | None) -> str:
        """A server time on the managed store's clock."""
        return store_moment(moment, self.zone)

    def store_name(self, store_id: int) -> str:
        return self.store_names.get(store_id) or f"Store #{store_id}"

    def refresh(self) -> None:
        """Load this tab's data from the server (called when the tab is shown)."""

    def stores_named(self) -> None:
        """``store_names`` arrived: show names where ids are shown (no new request)."""

    def call(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        done_message: str | None = None,
    ) -> None:
        def done(result: T) -> None:
            on_done(result)
            if done_message:
                self.succeeded.emit(done_message)

        self.background.run(fn, done, lambda exc: self.failed.emit(error_message(exc)))

    def confirm(self, question: str) -> bool:
        """Ask before a destructive action; tests replace this to answer for the user."""
        answer = QMessageBox.question(
            self,
            "Please confirm",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes


def touch_table(table: QTableWidget) -> None:
    """Rows tall enough to tap; whole-row single selection; read-only cells."""
    table.verticalHeader().setDefaultSectionSize(48)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)


def store_moment(moment: datetime | None, zone: str, empty: str = "—") -> str:
    """A server time on the store's clock as the till writes it ("29 Nov 23:15"; named
    when this machine's clock differs), not ISO ("2025-11-29 23:15")."""
    return store_date_time(moment, zone, empty)


class AllRowsTable(QTableWidget):
    """A table as tall as its rows, kept so as rows come and go: inside a scrolling form
    a table of the default height hid the rows past the second behind a scroll bar of
    its own (the form scrolls instead). Its columns are as wide as their text."""

    def __init__(self, rows: int, columns: int, parent: QWidget | None = None) -> None:
        super().__init__(rows, columns, parent)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Columns as wide as their text: a narrow column wrapped a name over two lines.
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def sizeHint(self) -> QSize:
        rows = sum(self.rowHeight(r) for r in range(self.rowCount()))
        header = self.horizontalHeader().sizeHint().height()
        bar = self.horizontalScrollBar()
        below = bar.sizeHint().height() if bar.isVisible() else 0
        return QSize(super().sizeHint().width(), rows + header + below + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def updateGeometries(self) -> None:
        """Called on rows inserted or removed and on resized sections: the layout asks
        for the size hint again."""
        super().updateGeometries()
        self.updateGeometry()
