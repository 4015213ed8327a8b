"""The attention list driven by keys as staff use it (issue #12, bug 7): Ctrl+J opens
it, Ctrl+K acknowledges the selected rows after a staff PIN, and nothing else."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from common.operations import AcknowledgeAttention, RedeemPoints
from desktop.engine.till import Confirmed, Till
from desktop.ui.history_view import HistoryDialog
from desktop.ui.pin_dialog import PinDialog

API = "/api/v1/store/loyalty"


def two_flagged(till) -> None:
    """Each card redeemed offline here while its points were spent online elsewhere:
    two OFFLINE_OVERSPEND items on this till's attention list."""
    offline = Till(till.terminal.store)
    for number in till.cards:
        done = offline.perform(RedeemPoints(card_number=number, reward_id="ten"), till.pin_id)
        assert isinstance(done, Confirmed)
        for _ in range(3):
            spent = till.http.post(
                f"{API}/points/redeem", json={"card_number": number, "reward_id": "ten"}
            )
            assert spent.status_code == 200, spent.text
    assert till.terminal.client.sync_once().online
    assert len(till.terminal.attention()) == 2


def open_attention(qtbot, window) -> HistoryDialog:
    qtbot.keyClick(window, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(window.dialog, HistoryDialog), timeout=5000)
    dialog = window.dialog
    dialog.activateWindow()  # what a window manager does with a new dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    return dialog


def tab_text(dialog: HistoryDialog) -> str:
    return dialog.tabs.tabText(dialog.tabs.indexOf(dialog.attention))


def queued_acknowledgements(till) -> list[str]:
    return [
        str(e.op.op_id)
        for e in till.terminal.store.entries(status=None)
        if isinstance(e.op, AcknowledgeAttention)
    ]


def type_pin_when_asked(qtbot, pin: str, asked: list[PinDialog]) -> None:
    """The PIN dialog runs modal (its own event loop): type into it once it is up."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PinDialog):
            QTimer.singleShot(20, answer)
            return
        asked.append(dialog)
        qtbot.keyClicks(dialog.pin, pin)
        qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)


def test_ctrl_k_with_nothing_selected_acknowledges_nothing(qtbot, window, till):
    """Caught: with no row selected, Ctrl+K selected every row and acknowledged them
    all behind one PIN."""
    two_flagged(till)
    dialog = open_attention(qtbot, window)
    assert tab_text(dialog) == "Needs attention (2)"
    assert dialog.attention.table.selectedIndexes() == []

    qtbot.keyClick(dialog, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(100)

    assert not isinstance(QApplication.activeModalWidget(), PinDialog)
    assert len(till.terminal.attention()) == 2
    assert queued_acknowledgements(till) == []
    assert tab_text(dialog) == "Needs attention (2)"
    assert "Select" in dialog.attention.hint.text()


def test_ctrl_k_acknowledges_the_selected_row_after_a_pin_and_the_count_drops(qtbot, window, till):
    """Caught: the tab kept saying "(2)" after an acknowledgement, and the
    acknowledgement never left the till (now an op queued for the server)."""
    two_flagged(till)
    dialog = open_attention(qtbot, window)
    table = dialog.attention.table
    chosen = dialog.attention.entries[0].op_id
    cell = table.visualItemRect(table.item(0, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    asked: list[PinDialog] = []
    type_pin_when_asked(qtbot, "2468", asked)

    qtbot.keyClick(table, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: tab_text(dialog) == "Needs attention (1)", timeout=10000)
    assert len(asked) == 1
    assert [e.op_id for e in till.terminal.attention()] != [chosen]
    assert len(till.terminal.attention()) == 1
    assert queued_acknowledgements(till) == [chosen]
    assert table.rowCount() == 1
    qtbot.waitUntil(lambda: window.status.rejected.text() == "1 needs attention", timeout=5000)
