"""What a review of the rendered screenshots found (issue #12, final part), each driven
by keys as a cashier does: the New card email field fits a long address, history and
attention tables name the customer beside a grouped number and show no row numbers,
an attention reason is readable whole, the enroll result reads large, a result banner
leaves when another view opens, and the status bar counts an op the moment it is
queued."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget

from desktop.ui.action_dialogs import EnrollDialog
from desktop.ui.enroll_result import EnrollResultDialog
from desktop.ui.history_view import HistoryDialog, reason_text
from desktop.ui.pin_dialog import PinDialog
from desktop.ui.wording import grouped
from tests.ui.test_attention_keys import open_attention, two_flagged
from tests.ui.test_card_on_screen import active, enroll_by_keys, open_by_keys
from tests.ui.test_nothing_clipped import fits
from tests.ui.test_till_window import API, banner, enter_pin

WAIT = 10_000  # ms; a ceiling for slow machines, not a timing assertion


def opened(qtbot, window, kind: type):
    qtbot.waitUntil(lambda: isinstance(window.dialog, kind), timeout=WAIT)
    dialog = window.dialog
    qtbot.waitExposed(dialog)
    return dialog


def test_the_new_card_email_field_shows_a_long_address_whole(qtbot, window):
    """Caught: ".roux@example.com" — the field was as narrow as the form's default."""
    active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = opened(qtbot, window, EnrollDialog)
    qtbot.keyClicks(form.email, "camille.roux@example.com")

    assert fits(form.email, form.email.text())
    qtbot.keyClick(form, Qt.Key.Key_Escape)


def test_store_history_names_the_customer_beside_the_grouped_number(qtbot, window, till):
    """Caught: bare 16-digit numbers ("1000000000000081") and row numbers 1, 2, 3…
    down the side of the table."""
    active(qtbot, window)
    open_by_keys(qtbot, window, till.cards[0], "Ada L.")
    qtbot.keyClick(window, Qt.Key.Key_F2)
    enter_pin(qtbot, window, till.shop.pin)
    qtbot.waitUntil(lambda: "Stamp added" in banner(window), timeout=WAIT)
    active(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    dialog = opened(qtbot, window, HistoryDialog)
    table = dialog.tabs.currentWidget()
    assert isinstance(table, QTableWidget)
    cards = {table.item(row, 1).text() for row in range(table.rowCount())}

    assert f"Ada L. · {grouped(till.cards[0])}" in cards
    assert f"Alan T. · {grouped(till.cards[1])}" in cards
    assert not table.verticalHeader().isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_an_attention_reason_is_readable_whole_and_names_the_customer(qtbot, window, till):
    """Caught: "Redeemed offline beyond the balance the server…" cut in its column,
    with no way to read the rest, beside a bare card number."""
    two_flagged(till)
    dialog = open_attention(qtbot, window)
    listing = dialog.attention
    whole = reason_text(listing.entries[0])
    names = [listing.table.item(row, 1).text() for row in range(listing.table.rowCount())]

    assert len(whole) > 40
    assert sorted(names) == sorted(
        f"{name} · {grouped(number)}"
        for name, number in zip(("Ada L.", "Alan T."), till.cards, strict=True)
    )
    assert not listing.table.verticalHeader().isVisible()
    assert listing.table.item(0, 3).toolTip() == whole
    assert whole in listing.detail.text()
    assert names[0] in listing.detail.text()

    listing.table.setFocus()
    qtbot.keyClick(listing.table, Qt.Key.Key_Down)  # the next row's story, whole
    assert names[1] in listing.detail.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_enroll_result_reads_large_over_the_till_and_says_created_once(qtbot, window, till):
    """Caught: the 26 pt title and 20 pt name shown at the till's 16 px (the window's
    style sheet won over the fonts set on the labels), and "Card created" twice."""
    result = enroll_by_keys(qtbot, window, till, "grace@x.example", "Grace Hopper")
    qtbot.waitExposed(result)

    assert result.customer_label.text() == "Grace H."
    assert result.customer_label.fontInfo().pixelSize() >= 30
    assert result.number_label.fontInfo().pixelSize() >= 26
    said = [label.text() for label in result.findChildren(QLabel)]
    assert [result.windowTitle(), *said].count("Card created") == 1
    qtbot.keyClick(result, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: "Card created" in banner(window), timeout=WAIT)


def test_a_result_banner_leaves_when_the_history_opens(qtbot, window, till):
    """Caught: "Stamp added · 1 of 10" still over the card while the store history was
    open, and after it was closed."""
    active(qtbot, window)
    open_by_keys(qtbot, window, till.cards[0], "Ada L.")
    qtbot.keyClick(window, Qt.Key.Key_F2)
    enter_pin(qtbot, window, till.shop.pin)
    qtbot.waitUntil(lambda: "Stamp added" in banner(window), timeout=WAIT)
    active(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_F7)
    dialog = opened(qtbot, window, HistoryDialog)
    assert banner(window) == ""
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT)
    qtbot.waitUntil(lambda: window.background.pending == 0, timeout=WAIT)
    assert banner(window) == ""


def test_the_status_bar_counts_a_new_card_the_moment_it_is_queued(qtbot, window, till):
    """Caught: right after an online enroll the panel said "the server has not
    confirmed it yet. 1 operation … waiting" while the status bar said "0 waiting":
    the bar counted only at the next sync round. Once the round has sent it, both say
    nothing waits, and the card is no longer "not confirmed"."""
    enroll_by_keys(qtbot, window, till, "grace@x.example", "Grace Hopper")
    qtbot.waitUntil(lambda: "waiting to sync" in window.panel.state.text(), timeout=WAIT)
    assert window.status.pending.text() == "1 waiting to sync"

    till.terminal.client.sync_once()  # the sync thread's round
    qtbot.waitUntil(lambda: window.status.pending.text() == "0 waiting to sync", timeout=WAIT)
    qtbot.waitUntil(lambda: window.panel.state.text() == "", timeout=WAIT)
    assert isinstance(window.dialog, EnrollResultDialog)


def test_a_new_card_the_server_applied_is_not_called_unconfirmed(qtbot, window, till, monkeypatch):
    """Caught: "New card made on this till; the server has not confirmed it yet." under
    a status bar saying "0 waiting": the server had applied the enrollment, and the
    panel waited for the card to come back in a pull to stop saying so."""
    result = enroll_by_keys(qtbot, window, till, "grace@x.example", "Grace Hopper")
    qtbot.keyClick(result, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: "not confirmed" in window.panel.state.text(), timeout=WAIT)

    def not_landed(*_args: object, **_kwargs: object) -> int:
        raise OSError("the pull has not landed yet")

    monkeypatch.setattr(till.terminal.store, "apply_pull_page", not_landed)
    with pytest.raises(OSError, match="not landed"):
        till.terminal.client.sync_once()  # pushed and applied; the pull never lands
    till.terminal.client.refresh_state()  # what the sync thread says after its round

    qtbot.waitUntil(lambda: window.status.pending.text() == "0 waiting to sync", timeout=WAIT)
    qtbot.waitUntil(lambda: window.background.pending == 0, timeout=WAIT)
    assert window.panel.state.text() == ""


def test_a_first_sign_in_chooses_the_name_with_the_arrow_keys(qtbot, window, till):
    """Seen in the demo: at a till's first PIN, no name chosen, a cashier at the keyboard
    typed the PIN and Enter and got "Tap your name first." — the name needed the mouse
    (or Shift+Tab into the list). Down in the PIN field now chooses it."""
    added = till.http.post(f"{API}/pins", json={"name": "Zoé", "pin": "97531"})
    assert added.status_code in (200, 201), added.text
    assert till.terminal.client.sync_once().online
    active(qtbot, window)
    open_by_keys(qtbot, window, till.cards[0], "Ada L.")
    qtbot.keyClick(window, Qt.Key.Key_F2)
    pin = opened(qtbot, window, PinDialog)
    pin.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is pin, timeout=WAIT)
    assert pin.selected_staff() is None
    assert QApplication.focusWidget() is pin.pin

    qtbot.keyClick(pin.pin, Qt.Key.Key_Down)
    chosen = pin.staff_list.currentItem().text()
    qtbot.keyClicks(pin.pin, till.shop.pin if chosen != "Zoé" else "97531")
    qtbot.keyClick(pin.pin, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: "Stamp added" in banner(window), timeout=WAIT)
