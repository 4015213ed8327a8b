"""The Earn and Reward dialogs driven by keys as a cashier does (issue #12, screenshot
review): the focus starts where the typing goes, Tab reaches the order reference next,
Enter always means OK, and each dialog says whose card it is and what it holds."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from desktop.ui.action_dialogs import EarnDialog, RewardDialog
from desktop.ui.pin_dialog import PinDialog
from tests.ui.test_card_on_screen import active, open_by_keys
from tests.ui.test_till_window import _keypad

WAIT = 10_000  # ms; a ceiling for slow machines, not a timing assertion


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def press(qtbot, key: Qt.Key, text: str = "") -> None:
    """A key pressed on the keyboard: it goes to whatever has the focus."""
    widget = focused()
    assert widget is not None, "nothing has the focus"
    if text:
        qtbot.keyClicks(widget, text)
    else:
        qtbot.keyClick(widget, key)


def opened(qtbot, window, kind: type) -> QWidget:
    qtbot.waitUntil(lambda: isinstance(window.dialog, kind), timeout=WAIT)
    dialog = window.dialog
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    return dialog


@pytest.fixture
def ada(qtbot, window, till):
    """Ada's card open (30 points of welcome bonus), the till's window active."""
    active(qtbot, window)
    open_by_keys(qtbot, window, till.cards[0], "Ada L.")
    return window


def test_earn_starts_in_the_amount_and_tab_goes_to_the_order_then_ok(qtbot, ada):
    """Caught: the dialog opened with the focus on OK, and the order reference was 14
    Tabs away, past Cancel and the 12 keypad buttons."""
    qtbot.keyClick(ada, Qt.Key.Key_F4)
    earn = opened(qtbot, ada, EarnDialog)

    assert focused() is earn.amount
    press(qtbot, Qt.Key.Key_unknown, "1250")
    assert earn.amount.text() == "12.50"
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is earn.order
    press(qtbot, Qt.Key.Key_unknown, "ORD-7")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is earn.ok

    press(qtbot, Qt.Key.Key_Return)
    pin = opened(qtbot, ada, PinDialog)
    assert pin.what.text() == "Earn 12 points (€12.50) for Ada L."
    assert earn.op.order_reference == "ORD-7"
    qtbot.keyClick(pin, Qt.Key.Key_Escape)


def test_enter_after_tapping_the_keypad_means_ok_not_another_digit(qtbot, ada):
    """Caught: a tapped keypad button kept the focus and took Enter, typing its digit
    again (the PIN pad's bug 1, in the Earn dialog)."""
    qtbot.keyClick(ada, Qt.Key.Key_F4)
    earn = opened(qtbot, ada, EarnDialog)
    for key in "840":
        qtbot.mouseClick(_keypad(earn, key), Qt.MouseButton.LeftButton)

    press(qtbot, Qt.Key.Key_Return)

    pin = opened(qtbot, ada, PinDialog)
    assert earn.op.purchase_amount_cents == 840
    assert pin.what.text() == "Earn 8 points (€8.40) for Ada L."
    qtbot.keyClick(pin, Qt.Key.Key_Escape)


def test_earn_and_reward_say_whose_card_and_its_balance(qtbot, ada):
    """Caught: the dialogs named nobody; a cashier with two customers at the counter
    could not tell which card they were about to change."""
    qtbot.keyClick(ada, Qt.Key.Key_F4)
    earn = opened(qtbot, ada, EarnDialog)
    assert earn.who.text() == "Ada L. · 30 points"
    qtbot.keyClick(earn, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: ada.dialog is None, timeout=WAIT)
    active(qtbot, ada)

    qtbot.keyClick(ada, Qt.Key.Key_F5)
    reward = opened(qtbot, ada, RewardDialog)
    assert reward.who.text() == "Ada L. · 30 points"


def test_rewards_show_their_cost_and_only_the_affordable_can_be_taken(qtbot, ada):
    """Caught: a bare list of the rewards the card could take, without the rest of the
    catalog or what each costs in words the cashier can tell the customer."""
    qtbot.keyClick(ada, Qt.Key.Key_F5)
    reward = opened(qtbot, ada, RewardDialog)
    rows = [reward.list.item(i).text() for i in range(reward.list.count())]
    assert rows == ["Ten  ·  10 points", "Fifty  ·  50 points  ·  20 more needed"]
    assert focused() is reward.list

    press(qtbot, Qt.Key.Key_Down)  # onto Fifty: not enough points, not selectable
    assert reward.list.currentRow() == 0
    press(qtbot, Qt.Key.Key_Return)

    pin = opened(qtbot, ada, PinDialog)
    assert pin.what.text() == "Redeem Ten for Ada L."
    qtbot.keyClick(pin, Qt.Key.Key_Escape)
