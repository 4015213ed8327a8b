"""Help ▸ About: which release this till runs, the first thing support asks."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from common.version import VERSION


def about_text() -> str:
    return (
        f"Loyalty till {VERSION}\n\n"
        "Stamps and points that keep working offline and sync with the shop's server.\n"
        "The command loyalty-terminal --version prints the same release."
    )


def add_help_menu(window: QMainWindow) -> QAction:
    """A Help menu holding About; returns its action."""
    action = QAction("About this till…", window)
    action.triggered.connect(lambda: show_about(window))
    window.menuBar().addMenu("&Help").addAction(action)
    return action


def show_about(parent: QWidget) -> QMessageBox:
    """Open the About box window-modal (``open``, not ``exec``: no nested event loop)."""
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "About the loyalty till",
        about_text(),
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
