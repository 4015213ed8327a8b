"""The card panel read at arm's length (issue #12): name, balance and stamps large;
each result says what changed; deactivating asks by name, and Enter alone cancels.
Driven with real keys on whatever has the focus."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.ui.action_dialogs import DeactivateDialog, EarnDialog, RewardDialog, VoidDialog
from desktop.ui.pin_dialog import PinDialog
from tests.ui.test_enter_key import press_enter, shown_active, type_keys
from tests.ui.test_till_window import open_card

WAIT = 10_000  # ms; a ceiling for slow machines, not a timing assertion


def key(qtbot, window, which: Qt.Key) -> None:
    qtbot.keyClick(QApplication.focusWidget() or window, which)


def dialog_of(qtbot, window, kind):
    qtbot.waitUntil(lambda: isinstance(window.dialog, kind), timeout=WAIT)
    dialog = window.dialog
    shown_active(qtbot, dialog)
    return dialog


def give_pin(qtbot, window, pin: str, what: str) -> None:
    dialog = dialog_of(qtbot, window, PinDialog)
    assert dialog.what.text() == what
    type_keys(qtbot, dialog, pin)
    press_enter(qtbot, dialog)
    qtbot.waitUntil(lambda: window.dialog is not dialog, timeout=WAIT)


def result(qtbot, window, words: str) -> None:
    def shown() -> None:
        assert window.background.pending == 0
        assert words in window.panel.banner.text()

    qtbot.waitUntil(shown, timeout=WAIT)
    shown_active(qtbot, window)


def test_name_balance_and_stamps_are_large(qtbot, window, till):
    """Caught, planted: the panel's labels left at the window's 16 px."""
    open_card(qtbot, window, till.cards[0])
    panel = window.panel

    assert panel.title.text() == "Ada L."
    assert panel.title.font().pixelSize() >= 32
    assert panel.points.font().pixelSize() >= 32
    assert panel.stamps_text.font().pixelSize() >= 22
    assert panel.number.font().pixelSize() < panel.title.font().pixelSize()


def test_each_result_says_what_changed(qtbot, window, till):
    """Caught, planted: results back to "Points added." (no numbers), and a void's
    delta taken from the wrong side (a plus where a minus belongs)."""
    open_card(qtbot, window, till.cards[0])  # 30 welcome points, no stamps
    pin = till.shop.pin

    key(qtbot, window, Qt.Key.Key_F2)
    give_pin(qtbot, window, pin, "Add a stamp for Ada L.")
    result(qtbot, window, "Stamp added · 1 of 10")

    key(qtbot, window, Qt.Key.Key_F4)
    earn = dialog_of(qtbot, window, EarnDialog)
    assert earn.currency.text() == "€"  # the shop's currency, EUR by default
    type_keys(qtbot, earn, "4500")
    earn.order.setFocus()
    type_keys(qtbot, earn, "R-45")
    press_enter(qtbot, earn)
    give_pin(qtbot, window, pin, "Earn 45 points (€45.00) for Ada L.")
    result(qtbot, window, "Points added: +45 points · 75 now")

    key(qtbot, window, Qt.Key.Key_F5)
    reward = dialog_of(qtbot, window, RewardDialog)
    press_enter(qtbot, reward)  # the first reward: Ten (10 points)
    give_pin(qtbot, window, pin, "Redeem Ten for Ada L.")
    result(qtbot, window, "Reward redeemed — hand over Ten · 65 points left")

    key(qtbot, window, Qt.Key.Key_F6)
    void = dialog_of(qtbot, window, VoidDialog)
    void.order.setFocus()
    type_keys(qtbot, void, "R-45")
    press_enter(qtbot, void)
    give_pin(qtbot, window, pin, "Void the points of order R-45 for Ada L.")
    result(qtbot, window, "Points voided: \u221245 points · 20 now")


def test_deactivate_asks_by_name_and_enter_alone_cancels(qtbot, window, till):
    """Caught, planted: F8 deactivating at once (after the PIN), and the question with
    Deactivate as its default button (Enter deactivates)."""
    open_card(qtbot, window, till.cards[0])

    key(qtbot, window, Qt.Key.Key_F8)
    asked = dialog_of(qtbot, window, DeactivateDialog)
    question = asked.findChild(type(window.panel.title)).text()
    assert question.startswith("Deactivate Ada L.'s card?")
    press_enter(qtbot, asked)
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT)
    shown_active(qtbot, window)

    assert window.panel.view is not None
    assert window.panel.view.card.is_active
    assert till.terminal.store.entries(status=None) == []

    key(qtbot, window, Qt.Key.Key_F8)
    asked = dialog_of(qtbot, window, DeactivateDialog)
    qtbot.keyClick(asked, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # its mnemonic
    give_pin(qtbot, window, till.shop.pin, "Deactivate Ada L.'s card")
    result(qtbot, window, "Card deactivated")
    qtbot.waitUntil(lambda: not window.panel.view.card.is_active, timeout=WAIT)
