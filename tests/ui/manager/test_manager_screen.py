"""The manager window on a till's screen: it opens inside the screen, Esc closes it,
every reward row is visible, stores are named, times are on the store's clock and the
chart keeps points and counts apart (issue #12, "Manager area")."""

from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QDialog, QLineEdit, QPushButton

from desktop.ui.manager.chart import COLORS
from desktop.ui.manager.login_dialog import ManagerLoginDialog
from desktop.ui.placement import FRAME
from tests.support.manager import API, BASE, WAIT, click, enroll, show_tab
from tests.support.shop import make_shop, owner_headers_for


@pytest.fixture
def shop(session_factory):
    """Two stores: a till of each, to tell store names apart."""
    return make_shop(session_factory, stores=2)


def test_the_window_opens_inside_the_screen(window):
    """Caught: a fixed 900x680 window ran off a smaller screen (offscreen: 800 wide)."""
    area = QGuiApplication.primaryScreen().availableGeometry()
    assert area.contains(window.frameGeometry()), (area, window.frameGeometry())
    centre = window.frameGeometry().center()  # centred, give or take a window frame
    assert abs(centre.x() - area.center().x()) <= FRAME.width()
    assert abs(centre.y() - area.center().y()) <= FRAME.height()


def test_esc_in_a_field_closes_the_window(qtbot, window):
    """Caught: Esc did nothing; the manager had to find the window's close button."""
    tab = window.staff_tab
    show_tab(qtbot, window, tab)
    qtbot.mouseClick(tab.name, Qt.MouseButton.LeftButton)
    assert tab.name.hasFocus() or not window.isActiveWindow()
    qtbot.keyClick(tab.name, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_esc_while_editing_a_reward_cancels_the_edit_not_the_window(qtbot, window):
    """Esc belongs to the cell being edited first: the window stays, the name is kept."""
    table = window.program_tab.rewards
    cell = table.visualRect(table.model().index(0, 1)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    assert table.state() == QAbstractItemView.State.EditingState
    editor = table.findChild(QLineEdit)
    assert editor is not None
    qtbot.keyClicks(editor, "zzz")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert window.isVisible()
    assert table.state() != QAbstractItemView.State.EditingState
    assert table.item(0, 1).text() == "Ten"


def test_esc_closes_the_login_dialog(qtbot, client, shop):
    dialog = ManagerLoginDialog(BASE, shop.store_ids[0], transport=client._transport)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.email, "owner@shop.example")
    qtbot.keyClick(dialog.email, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not dialog.isVisible()


def test_the_rewards_table_shows_every_row(qtbot, window):
    """Caught: in the scrolling form the table kept its default height and hid the
    rows past the third behind a scroll bar of its own."""
    tab = window.program_tab
    add = next(b for b in tab.findChildren(QPushButton) if b.text() == "Add reward")
    for _ in range(4):
        click(qtbot, add)
    table = tab.rewards
    assert table.rowCount() == 6
    last = table.rowCount() - 1

    def all_shown() -> bool:  # once the form's layout has run again
        bottom = table.rowViewportPosition(last) + table.rowHeight(last)
        return table.rowViewportPosition(0) == 0 and bottom <= table.viewport().height()

    qtbot.waitUntil(all_shown, timeout=WAIT)
    assert table.verticalScrollBar().maximum() == 0


def test_a_long_reward_name_fits_its_column(qtbot, window):
    """Caught: the Name column kept its default width and wrapped "Slice of cake"."""
    table = window.program_tab.rewards
    name = "Slice of carrot cake with cream"
    qtbot.mouseClick(
        table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=table.visualRect(table.model().index(0, 1)).center(),
    )
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = table.findChild(QLineEdit)
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, name)
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits it queued
    qtbot.waitUntil(lambda: table.item(0, 1).text() == name, timeout=WAIT)
    qtbot.waitUntil(
        lambda: table.columnWidth(1) > table.fontMetrics().horizontalAdvance(name), timeout=WAIT
    )


def test_terminals_and_the_header_name_stores_not_ids(qtbot, window, client, shop, session_factory):
    """Caught: the Store column and the header showed "1", "store 1"."""
    first, second = shop.store_ids
    for store, name in ((first, "Front till"), (second, "Station till")):
        headers = owner_headers_for(session_factory, shop, store)
        code = client.post("/api/v1/terminals/pairing-codes", headers=headers).json()["code"]
        paired = client.post("/api/v1/sync/pair", json={"code": code, "name": name})
        assert paired.status_code == 200, paired.text
    tab = window.terminals_tab
    show_tab(qtbot, window, tab)
    stores = {tab.table.item(r, 0).text(): tab.table.item(r, 1).text() for r in range(2)}
    assert stores == {"Front till": "Shop 1", "Station till": "Shop 2"}
    assert window.identity.text() == "Owner · Shop 1"


def test_times_are_on_the_managed_stores_clock_and_name_its_zone(qtbot, open_window, client, shop):
    """Caught: times were on this machine's clock (UTC here), not the store's (+14)."""
    window = open_window(zone="Pacific/Kiritimati")
    pairing = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers)
    client.post("/api/v1/sync/pair", json={"code": pairing.json()["code"], "name": "Till"})
    tab = window.terminals_tab
    show_tab(qtbot, window, tab)
    created = tab.terminals[0].created_at + timedelta(hours=14)
    assert tab.table.item(0, 2).text() == f"{created:%d %b %H:%M} +14"  # not ISO


def test_points_and_counts_are_charted_on_scales_of_their_own(qtbot, window, client, shop):
    """Caught: one scale for all bars; 45 points flattened 2 stamps to a sliver."""
    first = enroll(client, shop, "a@x.example")
    for _ in range(2):
        stamp = client.post(f"{API}/stamp", json={"card_number": first}, headers=shop.owner_headers)
        assert stamp.status_code == 200, stamp.text
    earn = client.post(
        f"{API}/points/earn",
        json={"card_number": first, "purchase_amount_cents": 4500},
        headers=shop.owner_headers,
    )
    assert earn.status_code == 200, earn.text
    tab = window.stats_tab
    show_tab(qtbot, window, tab)
    window.resize(900, 700)
    assert ("Stamps", 2) in tab.counts.bars()
    assert tab.points.bars() == [("Points", 45)]
    image, plot = tab.counts.grab().toImage(), tab.counts.plot_area()
    stamps = QColor(COLORS[0])
    column = [
        y
        for y in range(image.height())
        if image.pixelColor(QPoint(int(plot.left() + plot.width() / 6), y)) == stamps
    ]
    # the largest count (2 stamps) stands as tall as the counts chart
    assert column
    assert min(column) <= plot.top() + 2, (min(column), plot.top())
