"""Times at the till are on the store's clock (the fixture's shop is in Europe/Paris,
this machine usually is not): the status bar's last sync and the store history (issue
#12, "times in the store's time zone everywhere")."""

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt

from desktop.ui.action_dialogs import VoidDialog
from desktop.ui.history_view import HistoryDialog
from tests.ui.test_card_on_screen import active
from tests.ui.test_till_window import banner, enter_pin, open_card

WAIT = 10_000  # ms; a ceiling for slow machines, not a timing assertion
PARIS = ZoneInfo("Europe/Paris")


def test_the_last_sync_is_on_the_stores_clock(qtbot, window, till):
    """Caught: "Last sync" showed this machine's clock, with seconds."""
    state = till.terminal.client.sync_once()
    assert state.last_sync_at is not None
    qtbot.waitUntil(lambda: window.status.last_sync.text() != "Last sync never", timeout=WAIT)
    there = state.last_sync_at.astimezone(PARIS)
    assert window.status.last_sync.text().startswith(f"Last sync {there:%H:%M}")


def test_the_store_history_is_on_the_stores_clock(qtbot, window, till):
    """Caught: the history's "When" was this machine's clock."""
    open_card(qtbot, window, till.cards[0])
    qtbot.mouseClick(window.panel.buttons["stamp"], Qt.MouseButton.LeftButton)
    enter_pin(qtbot, window, till.shop.pin)
    qtbot.waitUntil(lambda: "Stamp added" in banner(window), timeout=WAIT)
    active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(window.dialog, HistoryDialog), timeout=WAIT)
    table = window.dialog.tabs.widget(0)
    items = till.terminal.store_history()
    assert table.rowCount() == len(items) > 0
    for row, item in enumerate(items):
        assert table.item(row, 0).text().startswith(f"{item.at.astimezone(PARIS):%d %b %H:%M}")


def test_the_void_list_is_on_the_stores_clock(qtbot, window, till):
    """Caught: the Void dialog listed earns at their UTC time ("27 Nov 06:05" for a
    stamp the history showed at 07:05 CET)."""
    open_card(qtbot, window, till.cards[0])
    qtbot.mouseClick(window.panel.buttons["stamp"], Qt.MouseButton.LeftButton)
    enter_pin(qtbot, window, till.shop.pin)
    qtbot.waitUntil(lambda: "Stamp added" in banner(window), timeout=WAIT)
    till.terminal.client.sync_once()  # a stamp is voided once the server numbered it
    active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: isinstance(window.dialog, VoidDialog), timeout=WAIT)
    listed = window.dialog.list
    earns = [i for i in till.terminal.card_history(till.cards[0]) if i.stamps_delta]
    assert listed.count() == len(earns) == 1
    assert listed.item(0).text().startswith(f"{earns[0].at.astimezone(PARIS):%d %b %H:%M}")
    qtbot.keyClick(window.dialog, Qt.Key.Key_Escape)
