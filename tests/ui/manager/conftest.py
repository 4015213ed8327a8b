"""The manager window logged in through its dialog, against the server app in process."""

import pytest
from PySide6.QtWidgets import QDialog

from desktop.ui.manager.window import ManagerWindow
from tests.support.manager import WAIT, log_in, settle
from tests.support.shop import make_shop


@pytest.fixture
def backend() -> str:
    """SQLite is enough: the widgets, not the ledger, are under test."""
    return "sqlite"


@pytest.fixture
def shop(session_factory):
    return make_shop(session_factory)


@pytest.fixture
def open_window(qtbot, client, shop):
    def open_as(email="owner@shop.example", password="pw", zone: str = "UTC") -> ManagerWindow:
        dialog = log_in(qtbot, client, shop.store_ids[0], email, password)
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=WAIT)
        window = ManagerWindow(dialog.api, zone=zone)
        # answers still in flight must land before pytest-qt deletes the window
        qtbot.addWidget(window, before_close_func=lambda w: settle(qtbot, w))
        window.show()
        settle(qtbot, window)
        return window

    return open_as


@pytest.fixture
def window(open_window) -> ManagerWindow:
    return open_window()
