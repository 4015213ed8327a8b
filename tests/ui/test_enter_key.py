"""Enter, pressed the way a cashier or a scanner does: on whatever widget has the focus
of the open dialog, not by calling a slot. Issue #12, bugs 1 and 3."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from desktop.ui.main_window import MainWindow
from desktop.ui.manager.login_dialog import ManagerLoginDialog
from desktop.ui.pin_dialog import PinDialog
from tests.support.camera import no_camera
from tests.ui.test_till_window import open_card

WAIT = 10_000  # ms; a ceiling for slow machines, not a timing assertion


@pytest.fixture
def window(qtbot, till):
    win = MainWindow(till.terminal, camera_source=no_camera)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    qtbot.waitUntil(lambda: win.background.pending == 0, timeout=WAIT)
    win.close()


def shown_active(qtbot, dialog: QDialog) -> None:
    """The dialog on screen and active, as a window manager leaves it: the focus then
    moves as on a desktop (a disabled field hands it on; a focused button turns default)."""
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)


def focused(dialog: QDialog) -> QWidget:
    """Where a key typed now lands: the application's focus widget, in this dialog."""
    widget = QApplication.focusWidget()
    assert widget is None or widget.window() is dialog, "the focus left the dialog"
    assert widget is not None, "nothing in the dialog has the focus"
    return widget


def press_enter(qtbot, dialog: QDialog) -> None:
    qtbot.keyClick(focused(dialog), Qt.Key.Key_Return)


def type_keys(qtbot, dialog: QDialog, text: str) -> None:
    qtbot.keyClicks(focused(dialog), text)


def open_pin_dialog(qtbot, window, till) -> PinDialog:
    open_card(qtbot, window, till.cards[0])
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: isinstance(window.dialog, PinDialog), timeout=WAIT)
    dialog = window.dialog
    assert isinstance(dialog, PinDialog)
    shown_active(qtbot, dialog)
    return dialog


def test_enter_on_an_empty_pin_types_nothing_and_burns_no_attempt(qtbot, window, till):
    """Caught: each Enter on a fresh dialog clicked the keypad's "1" (Qt made it the
    default button), so two Enters sent PIN "1" and said "3 attempts left"."""
    dialog = open_pin_dialog(qtbot, window, till)
    assert focused(dialog) is dialog.pin

    press_enter(qtbot, dialog)
    press_enter(qtbot, dialog)
    qtbot.wait(300)  # a PIN check, if one had started, runs on a pool thread

    assert dialog.pin.text() == ""
    assert "attempt" not in dialog.message.text()
    assert window.dialog is dialog
    assert dialog.isVisible()

    type_keys(qtbot, dialog, "0000")
    press_enter(qtbot, dialog)
    qtbot.waitUntil(lambda: "attempt" in dialog.message.text(), timeout=WAIT)
    assert "4 attempts left" in dialog.message.text()  # the first wrong PIN, not the third


def test_enter_after_the_pin_means_ok(qtbot, window, till):
    """Enter confirms a typed PIN (passed before the fix too, by the field's own Enter
    handler; it holds the fix to "Enter means OK" now that the OK button takes it)."""
    dialog = open_pin_dialog(qtbot, window, till)

    type_keys(qtbot, dialog, till.shop.pin)
    with qtbot.waitSignal(dialog.finished, timeout=WAIT) as closed:
        press_enter(qtbot, dialog)

    assert closed.args == [QDialog.DialogCode.Accepted.value]
    qtbot.waitUntil(lambda: window.panel.stamps.count == 1, timeout=WAIT)


def open_login(qtbot, window) -> ManagerLoginDialog:
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(window.dialog, ManagerLoginDialog), timeout=WAIT)
    login = window.dialog
    assert isinstance(login, ManagerLoginDialog)
    shown_active(qtbot, login)
    return login


def log_in_by_keyboard(qtbot, login: ManagerLoginDialog, email: str, password: str) -> None:
    """Click into the email, type it, Enter, the password, Enter: what a person does."""
    qtbot.mouseClick(login.email, Qt.MouseButton.LeftButton)
    type_keys(qtbot, login, email)
    press_enter(qtbot, login)
    assert focused(login) is login.password
    type_keys(qtbot, login, password)
    press_enter(qtbot, login)


def test_a_wrong_password_with_enter_is_shown_in_the_open_dialog(qtbot, window, till):
    """Caught: Enter disabled the fields, the focus fell to Cancel, which Qt then made
    the default button and clicked: the dialog closed and the refusal, arriving after,
    raised "Internal C++ object already deleted" instead of showing."""
    login = open_login(qtbot, window)

    log_in_by_keyboard(qtbot, login, till.shop.owner_email, "wrong password")

    qtbot.waitUntil(lambda: login.background.pending == 0, timeout=WAIT)
    assert login.error.text() == "Wrong email, password or store."
    assert login.error.isVisibleTo(login)
    assert window.dialog is login
    assert login.isVisible()
    assert login.result() != QDialog.DialogCode.Accepted
    assert focused(login) is login.password


def test_the_right_password_with_enter_opens_the_manager_area(qtbot, window, till):
    """Caught: the same stray Cancel closed the dialog; the login then succeeded into a
    deleted dialog and the manager area never opened."""
    login = open_login(qtbot, window)

    log_in_by_keyboard(qtbot, login, till.shop.owner_email, "pw")

    qtbot.waitUntil(lambda: window.manager is not None and window.manager.isVisible(), timeout=WAIT)
    window.manager.close()


def test_enter_in_the_email_field_only_moves_to_the_password(qtbot, window, till):
    """Enter after the email goes on to the password: no error, no request. Caught:
    that Enter also clicked "Log in" with no password ("Type your email and password.")."""
    login = open_login(qtbot, window)
    assert focused(login) is login.email

    type_keys(qtbot, login, till.shop.owner_email)
    press_enter(qtbot, login)

    assert focused(login) is login.password
    assert not login.error.isVisibleTo(login)
    assert login.background.pending == 0
