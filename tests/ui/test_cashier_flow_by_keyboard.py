"""A cashier's whole round at the till with the keyboard only: every step is keys typed
into whatever widget has the focus (QApplication.focusWidget()), with the window's
shortcuts; the only thing done for the cashier is what a window manager does, making a
newly opened dialog the active window. At the end the server's ledger must hold what
the till did (issue #12).

Caught, each planted once: the PIN dialog's Enter clicking the keypad's "1" (bug 1:
the PIN dialog stays, "Wrong PIN"); the scanner's Enter in the search field doing
nothing; the earn dialog dropping the order number (the void by order number is then
refused, and the ledger lacks it)."""

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from desktop.ui.action_dialogs import EarnDialog, EnrollDialog, RewardDialog, VoidDialog
from desktop.ui.enroll_result import EnrollResultDialog
from desktop.ui.history_view import HistoryDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.pin_dialog import PinDialog

API = "/api/v1/store/loyalty"
WAIT = 15_000  # ms; a ceiling for slow machines, not a timing assertion
ORDER = "ORD-7731"
NEW_EMAIL = "grace.hopper@x.example"
Key = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier


# -- the keyboard -------------------------------------------------------------------


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "no widget has the keyboard focus"
    return widget


def type_text(qtbot, text: str) -> None:
    qtbot.keyClicks(focus(), text)


def press(qtbot, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focus(), key, modifier)


def activate(qtbot, widget: QWidget) -> None:
    """What a window manager does with a newly shown window: make it the active one."""
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=WAIT)


def dialog_opened(qtbot, window: MainWindow, kind):
    qtbot.waitUntil(lambda: isinstance(window.dialog, kind), timeout=WAIT)
    dialog = window.dialog
    activate(qtbot, dialog)
    return dialog


def back_at_the_window(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT)
    activate(qtbot, window)


def answer_pin(qtbot, window: MainWindow, pin: str) -> None:
    """The staff PIN: its digits, then Enter; the dialog closes."""
    dialog = dialog_opened(qtbot, window, PinDialog)
    assert focus() is dialog.pin
    type_text(qtbot, pin)
    press(qtbot, Key.Key_Return)

    def closed() -> None:
        assert window.dialog is not dialog, f"the PIN dialog stays: {dialog.message.text()!r}"

    qtbot.waitUntil(closed, timeout=WAIT)


def tab_to(qtbot, target: QWidget, most: int = 20) -> None:
    """Tab until the focus is on ``target`` (as a cashier would, counting)."""
    for _ in range(most):
        if focus() is target:
            return
        press(qtbot, Key.Key_Tab)
    raise AssertionError(f"{most} Tabs never reached {target}")


def verdict(qtbot, window: MainWindow, words: str) -> None:
    """The op's result on the panel, and the window active again for the next key."""
    back_at_the_window(qtbot, window)
    banner = window.panel.banner

    def shown() -> None:
        assert window.background.pending == 0
        assert words in banner.text()

    qtbot.waitUntil(shown, timeout=WAIT)


def save_pdf_as(qtbot, path: Path) -> None:
    """Ctrl+S opens the file chooser (modal, its own event loop): type the path and
    Enter once it is up."""

    def answer() -> None:
        chooser = QApplication.activeModalWidget()
        if not isinstance(chooser, QFileDialog):
            QTimer.singleShot(20, answer)
            return
        activate(qtbot, chooser)
        qtbot.keyClicks(focus(), str(path))
        qtbot.keyClick(focus(), Key.Key_Return)

    QTimer.singleShot(0, answer)


# -- the round ------------------------------------------------------------------------


def test_a_cashier_round_by_keyboard_reaches_the_server_ledger(qtbot, window, till, tmp_path):
    terminal = till.terminal
    terminal.start_sync(0.5)
    activate(qtbot, window)
    ada = till.cards[0]

    # A USB scanner types the QR payload and Enter into the search field.
    assert focus() is window.search_field
    type_text(qtbot, terminal.qr_payload(ada))
    press(qtbot, Key.Key_Return)

    def opened() -> None:
        assert window.panel.view is not None, window.search_message.text()
        assert window.panel.view.card_number == ada

    qtbot.waitUntil(opened, timeout=WAIT)

    press(qtbot, Key.Key_F2)  # add a stamp
    answer_pin(qtbot, window, till.shop.pin)
    verdict(qtbot, window, "Stamp added")

    press(qtbot, Key.Key_F4)  # earn: the amount on the keys, Tab to the order number
    earn = dialog_opened(qtbot, window, EarnDialog)
    type_text(qtbot, "1250")
    tab_to(qtbot, earn.order)
    type_text(qtbot, ORDER)
    press(qtbot, Key.Key_Return)
    answer_pin(qtbot, window, till.shop.pin)
    verdict(qtbot, window, "Points added")

    press(qtbot, Key.Key_F5)  # redeem the first reward on the list
    dialog_opened(qtbot, window, RewardDialog)
    press(qtbot, Key.Key_Return)
    answer_pin(qtbot, window, till.shop.pin)
    verdict(qtbot, window, "Reward redeemed")

    press(qtbot, Key.Key_F6)  # void the earn by its order number
    void = dialog_opened(qtbot, window, VoidDialog)
    tab_to(qtbot, void.order)
    type_text(qtbot, ORDER)
    press(qtbot, Key.Key_Return)
    answer_pin(qtbot, window, till.shop.pin)
    verdict(qtbot, window, "Points voided")

    press(qtbot, Key.Key_F7)  # the card's history, then Esc
    history = dialog_opened(qtbot, window, HistoryDialog)
    assert history.tabs.tabText(history.tabs.currentIndex()) == "This card"
    press(qtbot, Key.Key_Escape)
    back_at_the_window(qtbot, window)

    press(qtbot, Key.Key_N, CTRL)  # a new customer: email, Tab, name, Enter
    dialog_opened(qtbot, window, EnrollDialog)
    type_text(qtbot, NEW_EMAIL)
    press(qtbot, Key.Key_Tab)
    type_text(qtbot, "Grace Hopper")
    press(qtbot, Key.Key_Return)
    answer_pin(qtbot, window, till.shop.pin)
    made = dialog_opened(qtbot, window, EnrollResultDialog)
    pdf = tmp_path / "grace.pdf"
    save_pdf_as(qtbot, pdf)
    press(qtbot, Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: "Saved to" in made.status_label.text(), timeout=WAIT)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 1000
    activate(qtbot, made)
    press(qtbot, Key.Key_Return)
    back_at_the_window(qtbot, window)

    press(qtbot, Key.Key_J, CTRL)  # needs attention: nothing, here
    attention = dialog_opened(qtbot, window, HistoryDialog)
    assert attention.tabs.currentWidget() is attention.attention
    assert attention.attention.entries == []
    press(qtbot, Key.Key_Escape)
    back_at_the_window(qtbot, window)

    press(qtbot, Key.Key_R, CTRL)  # sync now
    qtbot.waitUntil(lambda: terminal.client.state.pending == 0, timeout=WAIT)
    assert_ledger(till, ada, made.card.card_number)


def assert_ledger(till, ada: str, grace: str) -> None:
    """The server's ledger holds each op once, with its order number, reward and the
    staff member who confirmed it, and the till shows the server's balances."""
    card, rows = server_card(till, ada)
    assert [(r["transaction_type"], r["stamps_delta"], r["points_delta"]) for r in rows] == [
        ("CARD_CREATED", 0, 0),
        ("WELCOME_BONUS", 0, 30),
        ("STAMP_EARNED", 1, 0),
        ("POINTS_EARNED", 0, 12),
        ("POINTS_REDEEMED", 0, -10),
        ("POINTS_VOIDED", 0, -12),
    ]
    earned, redeemed, voided = rows[3:]
    assert earned["order_reference"] == ORDER
    assert earned["purchase_amount_cents"] == 1250
    assert redeemed["reward_id"] == "ten"
    assert voided["related_transaction_id"] == earned["id"]
    assert {r["staff_name"] for r in rows[2:]} == {"Sam"}
    assert (card["stamp_count"], card["points_balance"]) == (1, 20)
    view = till.terminal.view(ada)
    assert view is not None
    assert (view.card.stamp_count, view.card.points_balance) == (1, 20)

    new_card, new_rows = server_card(till, grace)
    assert new_card["customer_name"] == "Grace Hopper"
    assert new_card["customer_email"] == NEW_EMAIL
    assert [(r["transaction_type"], r["points_delta"]) for r in new_rows] == [
        ("CARD_CREATED", 0),
        ("WELCOME_BONUS", 30),
    ]


def server_card(till, number: str) -> tuple[dict, list[dict]]:
    """The card as the store API has it, and its ledger oldest first."""
    found = till.http.get(f"{API}/cards/lookup", params={"q": number})
    assert found.status_code == 200, found.text
    card_id = found.json()["card_id"]
    card = till.http.get(f"{API}/cards/{card_id}")
    rows = till.http.get(f"{API}/cards/{card_id}/transactions")
    assert card.status_code == rows.status_code == 200
    return card.json(), rows.json()["transactions"][::-1]
