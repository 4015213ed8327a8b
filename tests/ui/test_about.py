"""Help ▸ About in the till's window names the release it runs."""

import pytest
from PySide6.QtWidgets import QMenu, QMessageBox

from common.version import VERSION
from desktop.scan.reader import CameraUnavailable
from desktop.ui.main_window import MainWindow


def no_camera(index: int):
    raise CameraUnavailable(f"no camera at index {index}")


@pytest.fixture
def window(qtbot, till):
    win = MainWindow(till.terminal, camera_source=no_camera)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_help_about_shows_the_version(qtbot, window):
    help_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Help")
    (about,) = help_menu.actions()

    about.trigger()

    box = window.findChild(QMessageBox)
    qtbot.waitUntil(box.isVisible)
    assert f"Loyalty till {VERSION}" in box.text()
    box.accept()
