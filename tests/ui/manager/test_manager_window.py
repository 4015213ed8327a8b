"""The manager area driven through its real widgets, against the real server app in
process (SQLite): log in, manage staff PINs, adjust points, revoke a till, read today's
chart, and see the server's own words when it refuses."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QPushButton

from bench.server_process import free_port
from desktop.ui.manager.chart import COLORS
from desktop.ui.manager.login_dialog import ManagerLoginDialog
from sync_server.actor import Role
from sync_server.auth import accounts
from tests.support.manager import API, WAIT, click, enroll, log_in, pair, settle, show_tab

# -- login ------------------------------------------------------------------------------


def test_the_owner_logs_in_through_the_dialog_and_sees_the_program(window, shop):
    assert window.api.is_owner
    assert window.api.store_id == shop.store_ids[0]
    assert window.program_tab.texts["display_name"].text() == "Test Café"
    assert window.program_tab.numbers["stamps_target"].value() == 10
    assert "Owner" in window.identity.text()


def test_a_wrong_password_is_shown_inline_and_the_field_cleared(qtbot, client, shop):
    dialog = log_in(qtbot, client, shop.store_ids[0], password="wrong")
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=WAIT)
    settle(qtbot, dialog)
    assert dialog.error.text() == "Wrong email, password or store."
    assert dialog.password.text() == ""
    assert dialog.api is None
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_an_unreachable_server_says_the_manager_area_needs_the_network(qtbot, shop):
    dialog = ManagerLoginDialog(f"http://127.0.0.1:{free_port()}", shop.store_ids[0])
    qtbot.addWidget(dialog, before_close_func=lambda d: settle(qtbot, d))
    dialog.show()  # Enter is the dialog's: its default button takes it
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.email, "owner@shop.example")
    qtbot.keyClicks(dialog.password, "pw")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=WAIT)
    settle(qtbot, dialog)
    assert dialog.error.text() == (
        "The server cannot be reached; the manager area needs the network."
    )
    assert dialog.login_button.isEnabled()


# -- staff PINs -------------------------------------------------------------------------


def test_a_staff_pin_created_from_the_staff_tab_is_listed(qtbot, window):
    tab = window.staff_tab
    show_tab(qtbot, window, tab)
    assert [p.name for p in tab.pins] == ["Sam"]
    tab.table.clearSelection()
    tab.name.setText("Alex")
    qtbot.keyClicks(tab.pin, "1357")
    click(qtbot, tab.add_button)
    settle(qtbot, window)
    names = [tab.table.item(row, 0).text() for row in range(tab.table.rowCount())]
    assert names == ["Alex", "Sam"]
    assert tab.pin.text() == ""
    assert window.message.text() == "Alex can now sign in."


def test_a_pin_used_by_another_staff_member_shows_the_servers_message(qtbot, window, shop):
    tab = window.staff_tab
    show_tab(qtbot, window, tab)
    tab.name.setText("Twin")
    tab.pin.setText(shop.pin)
    click(qtbot, tab.add_button)
    settle(qtbot, window)
    assert window.message.text() == "Another staff member of this store uses this PIN."
    assert window.message.property("kind") == "error"
    assert [p.name for p in tab.pins] == ["Sam"]


def test_a_staff_member_is_renamed_from_the_staff_tab(qtbot, window, shop):
    tab = window.staff_tab
    show_tab(qtbot, window, tab)
    tab.select(shop.pin_ids[shop.store_ids[0]])
    assert tab.name.text() == "Sam"
    tab.name.setText("Samantha")
    click(qtbot, tab.rename_button)
    settle(qtbot, window)
    assert tab.table.item(0, 0).text() == "Samantha"


def test_deleting_a_pin_asks_first_and_a_no_keeps_it(qtbot, window, shop):
    tab = window.staff_tab
    show_tab(qtbot, window, tab)
    asked: list[str] = []
    tab.confirm = lambda question: asked.append(question) or False
    tab.select(shop.pin_ids[shop.store_ids[0]])
    click(qtbot, tab.delete_button)
    settle(qtbot, window)
    assert asked == ["Delete the PIN of Sam? They can no longer sign in."]
    assert [p.name for p in tab.pins] == ["Sam"]

    tab.confirm = lambda question: True
    click(qtbot, tab.delete_button)
    settle(qtbot, window)
    assert tab.pins == []


# -- points adjustment ------------------------------------------------------------------


def test_points_are_adjusted_from_the_tab_and_the_bound_is_explained(qtbot, window, client, shop):
    number = enroll(client, shop, "ada@x.example")
    tab = window.adjust_tab
    show_tab(qtbot, window, tab)
    qtbot.keyClicks(tab.search, "ada@x.example")
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert number in tab.card_label.text()

    tab.delta.setValue(150)
    qtbot.keyClicks(tab.reason, "Birthday gift")
    click(qtbot, tab.apply_button)
    settle(qtbot, window)
    assert window.message.text() == "Adjusted by +150 points; the balance is now 150."
    assert "points 150" in tab.card_label.text()

    tab.delta.setValue(100_001)
    tab.reason.setText("Far too much")
    click(qtbot, tab.apply_button)
    settle(qtbot, window)
    assert window.message.text() == "Adjustments are limited to ±100000 points."
    assert "points 150" in tab.card_label.text()


# -- terminals --------------------------------------------------------------------------


def test_a_terminal_is_revoked_after_confirmation(qtbot, window, client, shop):
    pair(client, shop, "Front till")
    pair(client, shop, "Back till")
    tab = window.terminals_tab
    show_tab(qtbot, window, tab)
    assert [t.name for t in tab.terminals] == ["Front till", "Back till"]
    tab.confirm = lambda question: True
    tab.select(tab.terminals[0].id)
    click(qtbot, tab.revoke_button)
    settle(qtbot, window)
    assert tab.table.item(0, 4).text().startswith("Revoked")
    assert tab.table.item(1, 4).text() == "Active"
    assert window.message.text() == "“Front till” is revoked."
    tab.select(tab.terminals[0].id)
    assert not tab.revoke_button.isEnabled()  # nothing left to revoke


def test_a_store_manager_sees_the_servers_403_on_the_terminals_tab(
    qtbot, open_window, session_factory, shop
):
    with session_factory() as session:
        accounts.create_user(
            session,
            shop.merchant_id,
            "m@shop.example",
            "pw-m",
            Role.STORE_MANAGER,
            shop.store_ids[0],
        )
        session.commit()
    window = open_window("m@shop.example", "pw-m")
    show_tab(qtbot, window, window.terminals_tab)
    assert window.message.text() == "Only the merchant owner may do this."
    assert window.terminals_tab.table.rowCount() == 0


# -- stats ------------------------------------------------------------------------------


def test_the_stats_tab_charts_todays_numbers(qtbot, window, client, shop):
    first, second = enroll(client, shop, "a@x.example"), enroll(client, shop, "b@x.example")
    for number in (first, second):
        stamp = client.post(
            f"{API}/stamp", json={"card_number": number}, headers=shop.owner_headers
        )
        assert stamp.status_code == 200, stamp.text
    earn = client.post(
        f"{API}/points/earn",
        json={"card_number": first, "purchase_amount_cents": 4500},
        headers=shop.owner_headers,
    )
    assert earn.status_code == 200, earn.text

    tab = window.stats_tab
    show_tab(qtbot, window, tab)
    assert tab.counts.bars() == [("Stamps", 2), ("Redemptions", 0), ("New cards", 2)]
    assert tab.points.bars() == [("Points", 45)]
    assert tab.figures["total_cards"].text() == "2"
    assert tab.figures["outstanding_points"].text() == "45"
    assert QColor(COLORS[0]).name() in drawn_colors(tab.counts)  # the stamps bar
    assert QColor(COLORS[3]).name() in drawn_colors(tab.points)


def drawn_colors(widget) -> set[str]:
    image = widget.grab().toImage()
    return {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
    }


# -- program ----------------------------------------------------------------------------


def test_the_program_is_saved_from_its_tab_and_a_bad_value_is_named(qtbot, window, client, shop):
    tab = window.program_tab
    tab.texts["display_name"].setText("Bakery Club")
    tab.lockout_attempts.setValue(3)
    click(qtbot, tab.save_button)
    settle(qtbot, window)
    assert window.message.text() == "The program is saved."
    program = client.get(f"{API}/program", headers=shop.owner_headers).json()
    assert program["display_name"] == "Bakery Club"
    assert "3 wrong entries" in tab.effective.text()

    tab.numbers["stamps_target"].setValue(0)
    click(qtbot, tab.save_button)
    settle(qtbot, window)
    assert "stamps_target" in window.message.text()
    assert window.message.property("kind") == "error"


# -- the window itself ------------------------------------------------------------------


def test_every_button_is_a_large_touch_target(qtbot, window):
    checked = 0
    for tab in (window.program_tab, window.staff_tab, window.adjust_tab, window.stats_tab):
        show_tab(qtbot, window, tab)
        for button in tab.findChildren(QPushButton):
            if button.isVisible():
                assert button.height() >= 48, button.text()
                checked += 1
    assert checked >= 10
    assert window.logout_button.height() >= 48


def test_logging_out_revokes_the_token_and_closes_the_window(qtbot, window, client):
    token = {"Authorization": window.api._http.headers["Authorization"]}
    click(qtbot, window.logout_button)
    settle(qtbot, window)
    assert not window.isVisible()
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401
