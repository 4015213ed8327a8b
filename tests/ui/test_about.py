"""Help ▸ About in the till's window names the release it runs."""

from PySide6.QtWidgets import QMenu, QMessageBox

from common.version import VERSION


def test_help_about_shows_the_version(qtbot, window):
    help_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Help")
    (about,) = help_menu.actions()

    about.trigger()

    box = window.findChild(QMessageBox)
    qtbot.waitUntil(box.isVisible)
    assert f"Loyalty till {VERSION}" in box.text()
    box.accept()
