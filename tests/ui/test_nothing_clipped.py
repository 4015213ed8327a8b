"""Text fits where it is shown (issue #12, bug 9): each table column is at least as wide
as its header and its cells in the font on screen (the window's style sheet), except
the last column of free text, which may elide; list rows, the Earn placeholder and
the pairing window's fields fit; operation codes are shown in words."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QStyle,
    QTableWidget,
    QWidget,
)

from desktop.ui.action_dialogs import EarnDialog, VoidDialog
from desktop.ui.background import Background
from desktop.ui.history_view import HistoryDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.pairing import PairingDialog
from desktop.ui.settings_dialog import CameraSettingsDialog
from tests.support.camera import no_camera
from tests.support.terminals import new_terminal
from tests.ui.test_till_window import API

WAIT = 10_000  # ms; a ceiling for slow machines, not a timing assertion


@pytest.fixture
def window(qtbot, till):
    """Ada has an earn with an order reference and a stamp, pulled by the till."""
    for path, body in (
        ("points/earn", {"purchase_amount_cents": 1250, "order_reference": "ORD-123456"}),
        ("stamp", {}),
    ):
        made = till.http.post(f"{API}/{path}", json={"card_number": till.cards[0], **body})
        assert made.status_code == 200, made.text
    till.terminal.client.sync_once()
    win = MainWindow(till.terminal, camera_source=no_camera)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    qtbot.waitUntil(lambda: win.background.pending == 0, timeout=WAIT)
    win.close()


def text_margin(widget: QWidget) -> int:
    """What an item view's delegate keeps either side of a cell's text."""
    style = widget.style()
    return 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1)


def clipped_columns(table: QTableWidget) -> list[str]:
    header = table.horizontalHeader()
    head_margin = 2 * table.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    problems = []
    last = table.columnCount() - 1
    for col in range(table.columnCount()):
        title = table.horizontalHeaderItem(col).text()
        width = header.sectionSize(col)
        if width < header.fontMetrics().horizontalAdvance(title) + head_margin:
            problems.append(f"header {title!r}: {width}px")
        if col == last:
            continue  # free text (a reason, a status): may elide
        for row in range(table.rowCount()):
            text = table.item(row, col).text()
            if width < table.fontMetrics().horizontalAdvance(text) + text_margin(table):
                problems.append(f"{title} {text!r}: {width}px")
    return problems


def clipped_rows(rows: QListWidget) -> list[str]:
    room = rows.viewport().width()
    texts = [rows.item(i).text() for i in range(rows.count())]
    fm = rows.fontMetrics()
    return [t for t in texts if fm.horizontalAdvance(t) + text_margin(rows) > room]


def fits(field: QLineEdit, text: str) -> bool:
    frame = field.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, field)
    margins = field.textMargins()
    needed = field.fontMetrics().horizontalAdvance(text) + 2 * 2 + 2 * frame
    return field.width() >= needed + margins.left() + margins.right()


def shown(qtbot, window, kind: type) -> QWidget:
    qtbot.waitUntil(lambda: isinstance(window.dialog, kind), timeout=WAIT)
    dialog = window.dialog
    qtbot.waitExposed(dialog)
    return dialog


def test_history_tables_show_every_date_amount_order_and_card_number(qtbot, window, till):
    """Caught: "29 Nov …", "Points …", "ORD-1…", "1000000000…": the columns were sized
    before the dialog took the window's 16px font, then shown in it."""
    window.search_field.setFocus()
    qtbot.keyClicks(window.search_field, till.cards[0])
    qtbot.keyClick(window.search_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.panel.view is not None, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_F7)
    dialog = shown(qtbot, window, HistoryDialog)

    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        table = dialog.tabs.currentWidget().findChild(QTableWidget) or dialog.tabs.currentWidget()
        assert isinstance(table, QTableWidget)
        qtbot.waitExposed(table)
        assert clipped_columns(table) == [], dialog.tabs.tabText(index)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_empty_attention_list_shows_whole_headers(qtbot, window):
    """Caught: "Wher", "Operatior", "Reasor" over an empty list."""
    qtbot.keyClick(window, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    dialog = shown(qtbot, window, HistoryDialog)
    table = dialog.tabs.currentWidget().findChild(QTableWidget)

    assert table.rowCount() == 0
    assert clipped_columns(table) == []
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_void_list_and_the_earn_placeholder_fit(qtbot, window, till):
    """Caught: the Void list cut "… · order ORD-123456" and the Earn field cut its
    placeholder "Order / receipt number (optional)"."""
    window.search_field.setFocus()
    qtbot.keyClicks(window.search_field, till.cards[0])
    qtbot.keyClick(window.search_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.panel.view is not None, timeout=WAIT)

    qtbot.keyClick(window, Qt.Key.Key_F6)
    void = shown(qtbot, window, VoidDialog)
    assert void.list.count() == 2
    assert clipped_rows(void.list) == []
    assert fits(void.order, void.order.placeholderText())
    qtbot.keyClick(void, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)

    qtbot.keyClick(window, Qt.Key.Key_F4)
    earn = shown(qtbot, window, EarnDialog)
    assert fits(earn.order, earn.order.placeholderText())
    qtbot.keyClick(earn, Qt.Key.Key_Escape)


def test_the_camera_dialog_shows_its_choices_whole(qtbot, window):
    """Caught: "No camera (USB scanner or typ…" in a narrow list."""
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = shown(qtbot, window, CameraSettingsDialog)
    qtbot.waitUntil(lambda: "camera" in dialog.message.text().lower(), timeout=WAIT)

    assert clipped_rows(dialog.list) == []
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_pairing_window_is_readable(qtbot, tmp_path):
    """Caught: a tiny window whose text showed reST backticks (`loyalty-server …`)."""
    terminal = new_terminal(tmp_path / "till")
    dialog = PairingDialog(terminal, Background())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    assert not [label.text() for label in dialog.findChildren(QLabel) if "`" in label.text()]
    assert fits(dialog.url, "https://loyalty.example-shop.com")
    assert fits(dialog.code, "ABCDE-FGHJK")
    dialog.close()
    terminal.close()
