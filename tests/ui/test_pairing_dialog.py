"""First run: pairing names what went wrong — no answer, a wrong code — and pairs with
the right one."""

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from desktop.ui.background import Background
from desktop.ui.pairing import PairingDialog
from tests.support.terminals import new_terminal, pairing_code


@pytest.fixture
def dialog(qtbot, tmp_path):
    terminal = new_terminal(tmp_path / "till")
    made = PairingDialog(terminal, Background())
    qtbot.addWidget(made)
    made.show()
    yield made
    terminal.close()


def pair(qtbot, dialog, url: str, code: str) -> None:
    dialog.url.setText(url)
    dialog.code.setText(code)
    qtbot.mouseClick(dialog.pair_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pair_button.isEnabled() or not dialog.isVisible(), timeout=15000)


def test_an_address_without_a_server_says_to_check_the_address_and_network(qtbot, dialog):
    pair(qtbot, dialog, "http://127.0.0.1:9", "ABCDE-FGHJK")
    assert "No answer from http://127.0.0.1:9" in dialog.message.text()


def test_an_address_that_is_not_a_web_address_is_refused_at_once(qtbot, dialog):
    pair(qtbot, dialog, "shop.example", "ABCDE-FGHJK")
    assert "http://" in dialog.message.text()


def test_a_wrong_or_expired_code_is_named_as_such(qtbot, dialog, ui_server):
    pair(qtbot, dialog, ui_server.url, "ABCDE-FGHJK")
    assert "wrong, used or expired" in dialog.message.text()
    assert not dialog.terminal.paired


def test_the_right_code_pairs_the_till(qtbot, dialog, ui_server):
    shop = ui_server.shop()
    with httpx.Client(base_url=ui_server.url, headers=shop.owner_headers) as http:
        code = pairing_code(http)
    pair(qtbot, dialog, ui_server.url + "/", code.lower())

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.terminal.paired
    assert dialog.terminal.store.get_meta("store_id") == shop.store_ids[0]
