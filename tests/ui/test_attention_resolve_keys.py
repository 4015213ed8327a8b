"""Resolving the attention list by keys (issue #14, point 5): Ctrl+D dismisses the one
selected row after a reason and a staff PIN; Ctrl+G re-applies it, which a till may do
only for a refused stamp or earn (a flagged redemption waits for the owner)."""

from PySide6.QtCore import Qt

from common.operations import ResolveAttention
from desktop.ui.history_view import HistoryDialog
from desktop.ui.pin_dialog import PinDialog
from tests.ui.test_attention_keys import open_attention, tab_text, two_flagged, type_pin_when_asked


def queued_resolutions(till) -> list[ResolveAttention]:
    return [
        e.op for e in till.terminal.store.entries(status=None) if isinstance(e.op, ResolveAttention)
    ]


def select_first_row(qtbot, dialog: HistoryDialog) -> str:
    table = dialog.attention.table
    cell = table.visualItemRect(table.item(0, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    return dialog.attention.entries[0].op_id


def test_ctrl_d_dismisses_the_selected_row_with_a_reason_and_a_pin(qtbot, window, till):
    """Planted bug: Ctrl+D not bound (no shortcut on the Dismiss button) -> nothing
    queued and the tab still says (2)."""
    two_flagged(till)
    dialog = open_attention(qtbot, window)
    dialog.attention.ask_reason = lambda action: "paid the difference in cash"
    chosen = select_first_row(qtbot, dialog)
    asked: list[PinDialog] = []
    type_pin_when_asked(qtbot, "2468", asked)

    qtbot.keyClick(dialog.attention.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: tab_text(dialog) == "Needs attention (1)", timeout=10000)
    [queued] = queued_resolutions(till)
    assert (str(queued.op_id), queued.action) == (chosen, "dismiss")
    assert queued.reason == "paid the difference in cash"
    assert len(asked) == 1
    assert "Dismissed" in dialog.attention.hint.text()


def test_ctrl_g_on_a_flagged_redemption_queues_nothing_and_says_the_owner_may(qtbot, window, till):
    """Planted bug: the till's cap skipped (till_decision re-applying any op) -> a
    re-apply of a redemption queued that the server must refuse."""
    two_flagged(till)
    dialog = open_attention(qtbot, window)
    dialog.attention.ask_reason = lambda action: "goodwill"
    select_first_row(qtbot, dialog)
    asked: list[PinDialog] = []
    type_pin_when_asked(qtbot, "2468", asked)

    qtbot.keyClick(dialog.attention.table, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: "owner" in dialog.attention.hint.text(), timeout=10000)
    assert queued_resolutions(till) == []
    assert tab_text(dialog) == "Needs attention (2)"
