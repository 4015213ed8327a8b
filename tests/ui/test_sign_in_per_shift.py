"""One sign-in per shift (issue #12): the PIN dialog says what it confirms for whom and
pre-selects the last cashier; with the merchant's staff_session_minutes > 0 a verified
cashier confirms further operations without the PIN until N minutes pass without one,
a sign-out (Ctrl+L) or a pull that removes them. Every op still names who confirmed it.
Driven with real keys; the till's clock is injected (the idle window is never slept)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.engine.terminal import Terminal
from desktop.engine.tokens import MemoryTokens
from desktop.ui.action_dialogs import EarnDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.pin_dialog import PinDialog
from tests.support.camera import no_camera
from tests.support.terminals import pairing_code
from tests.ui.conftest import API, UiServer
from tests.ui.test_enter_key import focused, press_enter, shown_active, type_keys

WAIT = 10_000  # ms; a ceiling for slow machines, not a timing assertion
ZOE_PIN = "1357"


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


class Counter:
    """A shop whose till signs cashiers in for ``minutes``, shows US dollars, and has
    two cashiers: Sam (the shop's PIN) and Zoé."""

    def __init__(self, ui_server: UiServer, path: Path, minutes: int) -> None:
        self.shop = ui_server.shop(cooldown_minutes=0, max_daily_stamps=20)
        owner = self.shop.owner_headers
        self.http = httpx.Client(base_url=ui_server.url, headers=owner, timeout=10)
        settings = {"staff_session_minutes": minutes, "currency": "USD"}
        assert self.http.put(f"{API}/settings", json=settings).status_code == 200
        zoe = self.http.post(f"{API}/pins", json={"name": "Zoé", "pin": ZOE_PIN})
        assert zoe.status_code == 201, zoe.text
        self.zoe, self.sam = zoe.json()["id"], self.shop.pin_ids[self.shop.store_ids[0]]
        made = self.http.post(
            f"{API}/cards/enroll", json={"email": "lea@x.example", "customer_name": "Léa Martin"}
        )
        self.card = made.json()["card_number"]
        self.clock = Clock()
        self.terminal = Terminal(path, tokens=MemoryTokens(), local_now=self.clock)
        self.terminal.client.pair(ui_server.url, pairing_code(self.http), "Counter")
        assert self.terminal.client.sync_once().online

    def staff_of_ops(self) -> list[int | None]:
        return [e.staff_pin_id for e in self.terminal.store.entries(status=None)]

    def close(self) -> None:
        self.terminal.close()
        self.http.close()


def _counter(qtbot, ui_server, tmp_path, minutes: int) -> Iterator[tuple[Counter, MainWindow]]:
    counter = Counter(ui_server, tmp_path / "till", minutes)
    window = MainWindow(counter.terminal, camera_source=no_camera)
    qtbot.addWidget(window)
    window.show()
    shown_active(qtbot, window)
    yield counter, window
    qtbot.waitUntil(lambda: window.background.pending == 0, timeout=WAIT)
    window.close()
    counter.close()


@pytest.fixture
def every_time(qtbot, ui_server, tmp_path):
    yield from _counter(qtbot, ui_server, tmp_path, minutes=0)


@pytest.fixture
def fifteen(qtbot, ui_server, tmp_path):
    yield from _counter(qtbot, ui_server, tmp_path, minutes=15)


# -- driving the till ---------------------------------------------------------------


def open_card(qtbot, window: MainWindow, card: str) -> None:
    qtbot.keyClicks(window.search_field, card)
    qtbot.keyClick(window.search_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.panel.view is not None, timeout=WAIT)
    shown_active(qtbot, window)


def key(qtbot, window: MainWindow, which: Qt.Key) -> None:
    """A key on whatever has the focus in the window, as a cashier presses it."""
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, which)


def pin_dialog(qtbot, window: MainWindow) -> PinDialog:
    qtbot.waitUntil(lambda: isinstance(window.dialog, PinDialog), timeout=WAIT)
    dialog = window.dialog
    assert isinstance(dialog, PinDialog)
    shown_active(qtbot, dialog)
    return dialog


def answer(qtbot, window: MainWindow, dialog: PinDialog, pin: str) -> None:
    type_keys(qtbot, dialog, pin)
    press_enter(qtbot, dialog)
    qtbot.waitUntil(lambda: window.dialog is not dialog, timeout=WAIT)


def done(qtbot, window: MainWindow, ops: int, counter: Counter, words: str = "") -> None:
    """The op went through: written to the outbox, its result on the panel."""
    qtbot.waitUntil(lambda: len(counter.staff_of_ops()) == ops, timeout=WAIT)
    qtbot.waitUntil(lambda: words in window.panel.banner.text(), timeout=WAIT)
    shown_active(qtbot, window)


def stamp(qtbot, window: MainWindow) -> None:
    key(qtbot, window, Qt.Key.Key_F2)


def pick_with_arrows(qtbot, dialog: PinDialog, name: str) -> None:
    """Down arrow in the staff list until ``name`` is the one chosen."""
    dialog.staff_list.setFocus()
    for _ in range(dialog.staff_list.count() + 1):
        current = dialog.staff_list.currentItem()
        if current is not None and current.text() == name:
            dialog.pin.setFocus()
            return
        qtbot.keyClick(dialog.staff_list, Qt.Key.Key_Down)
    raise AssertionError(f"{name} is not in the staff list")


def first_stamp_as_sam(qtbot, window: MainWindow, counter: Counter) -> None:
    stamp(qtbot, window)
    dialog = pin_dialog(qtbot, window)
    pick_with_arrows(qtbot, dialog, "Sam")
    answer(qtbot, window, dialog, counter.shop.pin)
    done(qtbot, window, 1, counter, "1 of 10")


# -- the tests -------------------------------------------------------------------------


def test_the_dialog_names_the_action_and_customer_and_preselects_the_last_cashier(
    qtbot, every_time
):
    """Caught, each planted once: the dialog without its 'what for whom' line; the
    last cashier not remembered (the second dialog opens on Sam, first in the list)."""
    counter, window = every_time
    open_card(qtbot, window, counter.card)

    stamp(qtbot, window)
    first = pin_dialog(qtbot, window)
    assert first.what.text() == "Add a stamp for Léa M."
    assert first.what.isVisible()
    pick_with_arrows(qtbot, first, "Zoé")
    answer(qtbot, window, first, ZOE_PIN)
    done(qtbot, window, 1, counter, "Stamp added · 1 of 10")

    key(qtbot, window, Qt.Key.Key_F4)  # earn: the amount on the keys, then Enter
    qtbot.waitUntil(lambda: isinstance(window.dialog, EarnDialog), timeout=WAIT)
    earn = window.dialog
    shown_active(qtbot, earn)
    type_keys(qtbot, earn, "1250")
    assert (earn.currency.text(), earn.amount.text()) == ("$", "12.50")
    earn.order.setFocus()
    press_enter(qtbot, earn)

    second = pin_dialog(qtbot, window)  # 0 minutes: every operation asks
    assert second.what.text() == "Earn 12 points ($12.50) for Léa M."
    assert second.selected_staff() == counter.zoe
    assert focused(second) is second.pin
    answer(qtbot, window, second, ZOE_PIN)
    done(qtbot, window, 2, counter, "Points added: +12 points · 12 now")

    assert counter.staff_of_ops() == [counter.zoe, counter.zoe]
    assert not window.signed_in.isVisible()  # no sessions in this shop: nothing to show


def test_a_signed_in_cashier_is_not_asked_again_within_the_window(qtbot, fifteen):
    """Caught, planted: a session that never starts (the second stamp asks for the PIN)
    and one that records no staff id on the op it confirms."""
    counter, window = fifteen
    open_card(qtbot, window, counter.card)

    first_stamp_as_sam(qtbot, window, counter)
    assert "Signed in: Sam" in window.signed_in.text()
    assert "Ctrl+L" in window.signed_in.text()

    counter.clock.at += timedelta(minutes=14)  # idle, but not for 15 minutes
    stamp(qtbot, window)
    done(qtbot, window, 2, counter, "2 of 10")
    assert window.dialog is None  # no PIN was asked

    counter.clock.at += timedelta(minutes=14)  # 28 minutes in, 14 since the last op
    stamp(qtbot, window)
    done(qtbot, window, 3, counter, "3 of 10")
    assert window.dialog is None
    assert counter.staff_of_ops() == [counter.sam] * 3


def test_after_the_idle_minutes_the_pin_is_asked_again(qtbot, fifteen):
    """Caught, planted: a session measured from the sign-in only, or never ending."""
    counter, window = fifteen
    open_card(qtbot, window, counter.card)
    first_stamp_as_sam(qtbot, window, counter)

    counter.clock.at += timedelta(minutes=15)
    stamp(qtbot, window)

    again = pin_dialog(qtbot, window)
    assert again.selected_staff() == counter.sam  # still pre-selected
    assert "Nobody signed in" in window.signed_in.text()
    answer(qtbot, window, again, counter.shop.pin)
    done(qtbot, window, 2, counter, "2 of 10")


def test_the_sign_out_key_makes_the_next_operation_ask(qtbot, fifteen):
    """Caught, planted: Ctrl+L bound to nothing (the next stamp goes through unasked)."""
    counter, window = fifteen
    open_card(qtbot, window, counter.card)
    first_stamp_as_sam(qtbot, window, counter)

    qtbot.keyClick(
        QApplication.focusWidget() or window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
    )
    assert "Nobody signed in (signed out)" in window.signed_in.text()
    stamp(qtbot, window)
    pin_dialog(qtbot, window)
    assert len(counter.staff_of_ops()) == 1


def test_a_pull_that_deactivates_the_cashier_ends_the_session(qtbot, fifteen):
    """Caught, planted: the session checked against nothing but the clock."""
    counter, window = fifteen
    open_card(qtbot, window, counter.card)
    first_stamp_as_sam(qtbot, window, counter)

    removed = counter.http.patch(f"{API}/pins/{counter.sam}", json={"is_active": False})
    assert removed.status_code == 200, removed.text
    counter.terminal.client.sync_once()
    stamp(qtbot, window)

    pin_dialog(qtbot, window)
    assert len(counter.staff_of_ops()) == 1


def test_a_lock_of_the_cashier_ends_the_session(qtbot, fifteen):
    """Wrong PINs typed under Sam's name lock Sam, and with it Sam's session. Caught,
    planted: the session ignoring the lock (the next stamp goes through in Sam's name)."""
    counter, window = fifteen
    open_card(qtbot, window, counter.card)
    first_stamp_as_sam(qtbot, window, counter)

    for _ in range(5):  # someone at the till tries Sam's name; the till locks the PIN
        counter.terminal.check_pin(counter.sam, "0000")
    stamp(qtbot, window)

    locked = pin_dialog(qtbot, window)
    assert "Locked" in locked.message.text()
    assert len(counter.staff_of_ops()) == 1
