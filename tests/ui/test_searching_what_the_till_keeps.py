"""The cashier searches a customer by what the till keeps (docs/privacy.md §2): a whole
phone number typed as digits opens the card; a surname, which the till no longer holds,
says what would find it. Driven by keys."""

from desktop.ui.main_window import MainWindow
from tests.support.camera import no_camera
from tests.ui.test_card_on_screen import WAIT, type_search
from tests.ui.test_till_window import API


def _window(qtbot, till) -> MainWindow:
    win = MainWindow(till.terminal, camera_source=no_camera)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_a_phone_number_typed_as_digits_opens_the_card(qtbot, till):
    """Caught by looking at the demo: "0612345678" was taken for a card number ("This
    is not a valid card number.") since it is all digits."""
    made = till.http.post(
        f"{API}/cards/enroll",
        json={
            "email": "grace@x.example",
            "customer_name": "Grace Hopper",
            "customer_phone": "+33 6 12 34 56 78",
        },
    )
    assert made.status_code in (200, 201), made.text
    assert till.terminal.client.sync_once().online
    window = _window(qtbot, till)

    type_search(qtbot, window, "0612345678")

    qtbot.waitUntil(lambda: window.panel.title.text() == "Grace H.", timeout=WAIT)
    window.close()


def test_a_surname_finds_nothing_and_says_what_would(qtbot, till):
    window = _window(qtbot, till)

    type_search(qtbot, window, "Lovelace")

    qtbot.waitUntil(lambda: "No card matches" in window.search_message.text(), timeout=WAIT)
    assert "whole email or phone, or the first name" in window.search_message.text()
    assert window.panel.view is None
    window.close()
