"""Driving the manager area's widgets against the server app in process: log in through
the dialog, wait for every answer, click, show a tab, make the rows a test needs."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from desktop.ui.manager.login_dialog import ManagerLoginDialog
from desktop.ui.manager.window import ManagerWindow

API = "/api/v1/store/loyalty"
BASE = "https://testserver"
WAIT = 15_000  # ms; a ceiling for slow machines, not a timing assertion


def log_in(qtbot, client, store_id, email="owner@shop.example", password="pw"):
    dialog = ManagerLoginDialog(BASE, store_id, transport=client._transport)
    qtbot.addWidget(dialog, before_close_func=lambda d: settle(qtbot, d))
    qtbot.keyClicks(dialog.email, email)
    qtbot.keyClicks(dialog.password, password)
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    return dialog


def settle(qtbot, widget: QWidget) -> None:
    """Every request the widget started has been answered and rendered."""
    qtbot.waitUntil(lambda: widget.background.pending == 0, timeout=WAIT)


def click(qtbot, button: QPushButton) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def show_tab(qtbot, window: ManagerWindow, tab: QWidget) -> None:
    window.tabs.setCurrentWidget(tab)
    settle(qtbot, window)


def enroll(client, shop, email: str) -> str:
    made = client.post(f"{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers)
    assert made.status_code == 201, made.text
    return str(made.json()["card_number"])


def pair(client, shop, name: str) -> None:
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers)
    paired = client.post("/api/v1/sync/pair", json={"code": code.json()["code"], "name": name})
    assert paired.status_code == 200, paired.text
