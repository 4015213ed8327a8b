"""Add to wallet at the till, driven by the keys a cashier presses: F9 on a card's panel
or on the new card's screen asks the server for the card's link in the background and
shows it as a QR (scanned back here with zxing-cpp) with what to do and until when;
offline, or with wallets off, a sentence instead of a QR."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest
import zxingcpp
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from sqlalchemy import select

from bench.server_process import ServerProcess
from desktop.engine.wallet_link import (
    BAD_RESPONSE,
    MESSAGES,
    WALLETS_OFF,
    NoWalletLink,
    WalletLink,
    fetch_wallet_link,
)
from desktop.ui.action_dialogs import EnrollDialog
from desktop.ui.enroll_result import EnrollResultDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.pin_dialog import PinDialog
from desktop.ui.wallet_dialog import AROUND_QR_PX, SCAN_LINE, WalletDialog
from desktop.ui.wording import local_time
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Card, WalletPass
from sync_server.wallet.links import read_link_token
from tests.ui.conftest import API, PairedTill, UiServer
from tests.wallet.conftest import PASS_TYPE_ID, TEAM_ID, make_apple_chain

SECRET = "ui-wallet-secret"
BASE = "https://loyalty.example"
WAIT = 15_000  # ms; a ceiling for slow machines, not a timing assertion
Key = Qt.Key


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory, _sqlite_templates) -> Iterator[UiServer]:
    """The UI tests' server, with a wallet secret, a public address and Apple's pass
    certificates (a test chain)."""
    url = _sqlite_templates.fresh(tmp_path_factory.mktemp("wallet-ui") / "loyalty.db")
    engine = make_engine(url)
    chain = make_apple_chain(tmp_path_factory.mktemp("apple-chain"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOYALTY_WALLET_SECRET", SECRET)
        env.setenv("LOYALTY_PUBLIC_BASE_URL", BASE)
        env.setenv("LOYALTY_APPLE_PASS_TYPE_ID", PASS_TYPE_ID)
        env.setenv("LOYALTY_APPLE_TEAM_ID", TEAM_ID)
        env.setenv("LOYALTY_APPLE_PASS_CERT_FILE", str(chain.pass_cert_pem))
        env.setenv("LOYALTY_APPLE_PASS_KEY_FILE", str(chain.pass_key_pem))
        env.setenv("LOYALTY_APPLE_WWDR_CERT_FILE", str(chain.wwdr_pem))
        server = ServerProcess(url, workers=1)
        server.start()
    yield UiServer(server.url, make_session_factory(engine))
    server.stop()
    engine.dispose()


def wallets_on(till: PairedTill) -> None:
    answer = till.http.put(f"{API}/program", json={"apple_wallet_enabled": True})
    assert answer.status_code == 200, answer.text


# -- the keyboard ---------------------------------------------------------------------


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "no widget has the keyboard focus"
    return widget


def press(qtbot, key: Qt.Key) -> None:
    qtbot.keyClick(focus(), key)


def activate(qtbot, widget: QWidget) -> None:
    """What a window manager does with a newly shown window: make it the active one."""
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=WAIT)


def open_card(qtbot, window: MainWindow, number: str) -> None:
    activate(qtbot, window)
    qtbot.keyClicks(focus(), number)
    press(qtbot, Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.panel.view is not None and window.panel.view.card_number == number,
        timeout=WAIT,
    )


def wallet_dialog(qtbot, window: MainWindow, parent: QWidget | None = None) -> WalletDialog:
    """F9, then the dialog once the server's answer (or the lack of one) is drawn."""
    press(qtbot, Key.Key_F9)
    if parent is None:
        qtbot.waitUntil(lambda: isinstance(window.dialog, WalletDialog), timeout=WAIT)
        dialog = window.dialog
    else:
        qtbot.waitUntil(lambda: parent.findChild(WalletDialog) is not None, timeout=WAIT)
        dialog = parent.findChild(WalletDialog)
    assert isinstance(dialog, WalletDialog)
    qtbot.waitUntil(lambda: dialog.answer is not None, timeout=WAIT)
    return dialog


def decoded(image: QImage) -> list[str]:
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(gray.constBits(), np.uint8, count=gray.sizeInBytes())
    pixels = rows.reshape(gray.height(), gray.bytesPerLine())[:, : gray.width()].copy()
    found = zxingcpp.read_barcodes(pixels, formats=zxingcpp.BarcodeFormat.QRCode)
    return [code.text for code in found]


def shows_a_link_to_the_cards_pass(
    qtbot, dialog: WalletDialog, ui_server: UiServer, number: str, zone: str
) -> None:
    assert dialog.qr_label.isVisible()
    [url] = decoded(dialog.qr_label.pixmap().toImage())
    assert url.startswith(f"{BASE}/wallet/add/")
    serial = read_link_token(
        SECRET.encode(), url.removeprefix(f"{BASE}/wallet/add/"), datetime.now(UTC)
    )
    with ui_server.factory() as session:  # type: ignore[operator]
        card_id = session.scalar(select(Card.id).where(Card.card_number == number))
        pass_card = session.scalar(
            select(WalletPass.card_id).where(WalletPass.serial_number == serial)
        )
    assert card_id is not None
    assert pass_card == card_id
    assert dialog.scan_label.isVisible()
    assert dialog.scan_label.text() == SCAN_LINE
    assert isinstance(dialog.answer, WalletLink)
    until = local_time(dialog.answer.expires_at, zone)
    assert dialog.expiry_label.isVisible()
    assert until in dialog.expiry_label.text()
    for label in (dialog.scan_label, dialog.expiry_label):
        not_clipped(qtbot, label)


def not_clipped(qtbot, label: QLabel) -> None:
    """The label is as tall as its wrapped text needs (Qt lays out on the next turn)."""
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()), timeout=WAIT)


def shows_only_a_sentence(qtbot, dialog: WalletDialog, words: str) -> None:
    assert words in dialog.status_label.text()
    assert dialog.status_label.isVisible()
    not_clipped(qtbot, dialog.status_label)
    assert not dialog.qr_label.isVisible()
    assert not dialog.scan_label.isVisible()


# -- the card's panel -------------------------------------------------------------------


def test_f9_on_a_card_shows_a_qr_that_scans_to_the_cards_wallet_link(
    qtbot, window, till, ui_server
):
    """Planted: the dialog drawing the card's own QR payload instead of the link -> the
    decoded text is no link; the expiry line left hidden -> fails."""
    wallets_on(till)
    open_card(qtbot, window, till.cards[0])
    assert "[F9]" in window.panel.buttons["wallet"].text()

    dialog = wallet_dialog(qtbot, window)

    shows_a_link_to_the_cards_pass(qtbot, dialog, ui_server, till.cards[0], till.terminal.zone)
    activate(qtbot, dialog)
    press(qtbot, Key.Key_Escape)
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT)


def test_with_wallets_off_the_cashier_reads_why_instead_of_a_qr(qtbot, window, till):
    """Planted: a refusal drawn as a QR of its message -> the QR shows; the server's
    WALLETS_OFF mapped to the generic unreadable-answer text -> the words are missing."""
    open_card(qtbot, window, till.cards[0])
    dialog = wallet_dialog(qtbot, window)
    shows_only_a_sentence(qtbot, dialog, "not turned on for this shop")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_offline_the_cashier_reads_that_the_network_is_needed(qtbot, window, till):
    """Planted: httpx's ConnectError not caught -> the dialog's failure path shows
    "Something went wrong in the till (ConnectError)" and not the offline sentence."""
    wallets_on(till)
    open_card(qtbot, window, till.cards[1])
    with till.terminal.store.transaction() as conn:  # the server moved away: nothing answers
        till.terminal.store.set_meta(conn, "base_url", f"http://127.0.0.1:{closed_port()}")
    dialog = wallet_dialog(qtbot, window)
    shows_only_a_sentence(qtbot, dialog, "cannot be reached")


# -- the new card's screen ------------------------------------------------------------


def test_f9_on_the_new_cards_screen_shows_its_wallet_qr(qtbot, window, till, ui_server):
    """Planted: the enrolment screen built without its add_to_wallet action -> F9 there
    opens nothing."""
    wallets_on(till)
    activate(qtbot, window)
    qtbot.keyClick(focus(), Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(window.dialog, EnrollDialog), timeout=WAIT)
    activate(qtbot, window.dialog)
    qtbot.keyClicks(focus(), "grace@x.example")
    press(qtbot, Key.Key_Tab)
    qtbot.keyClicks(focus(), "Grace Hopper")
    press(qtbot, Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(window.dialog, PinDialog), timeout=WAIT)
    activate(qtbot, window.dialog)
    qtbot.keyClicks(focus(), till.shop.pin)
    press(qtbot, Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(window.dialog, EnrollResultDialog), timeout=WAIT)
    made = window.dialog
    assert till.terminal.client.sync_once().online  # what the till's sync thread does
    number = made.card.card_number
    activate(qtbot, made)

    dialog = wallet_dialog(qtbot, window, parent=made)

    shows_a_link_to_the_cards_pass(qtbot, dialog, ui_server, number, till.terminal.zone)


# -- what the engine makes of any answer ----------------------------------------------

GOOD = {"url": f"{BASE}/wallet/add/abc.def", "expires_at": "2026-11-30T12:00:00+00:00"}


def fetched(status: int, body: object = None, raw: bytes | None = None) -> object:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer tok"
        if raw is not None:
            return httpx.Response(status, content=raw)
        return httpx.Response(status, json=body)

    return fetch_wallet_link(
        "https://till.example", "tok", "1000000000000009", transport=httpx.MockTransport(answer)
    )


@pytest.mark.parametrize(
    ("status", "body", "raw"),
    [
        (200, {"url": "javascript:alert(1)", "expires_at": GOOD["expires_at"]}, None),
        (200, {"url": GOOD["url"], "expires_at": "2026-11-30T12:00:00"}, None),  # naive
        (200, {"url": GOOD["url"] + "x" * 3000, "expires_at": GOOD["expires_at"]}, None),
        (200, {"url": GOOD["url"] + "\n", "expires_at": GOOD["expires_at"]}, None),
        (200, {"url": 7, "expires_at": None}, None),
        (200, [GOOD], None),
        (200, None, b"<html>proxy</html>"),
        (502, None, b"Bad gateway"),
        (500, {"code": 7, "message": "x"}, None),
    ],
)
def test_an_unreadable_or_unsafe_answer_is_a_sentence_never_a_qr(status, body, raw):
    """Planted: the scheme check removed -> a javascript: URL becomes a QR; the length
    check removed -> a 3000-character URL (more than a QR holds) is drawn."""
    assert fetched(status, body, raw) == NoWalletLink(BAD_RESPONSE, MESSAGES[BAD_RESPONSE])


def test_a_good_answer_is_a_link_and_the_servers_refusals_keep_their_code():
    assert fetched(200, GOOD) == WalletLink(GOOD["url"], datetime(2026, 11, 30, 12, tzinfo=UTC))
    off = fetched(409, {"code": "WALLETS_OFF", "message": "off", "detail": {}})
    assert off == NoWalletLink(WALLETS_OFF, MESSAGES[WALLETS_OFF])
    closed = fetched(409, {"code": "CARD_INACTIVE", "message": "This card is deactivated."})
    assert closed == NoWalletLink("CARD_INACTIVE", "This card is deactivated.")


def test_the_dialog_opens_on_the_screen_whatever_the_windows_place(qtbot, window, till, ui_server):
    """Seen at 1280x800 under Xvfb and openbox: the dialog opened centred on the till's
    window, 275 px down, and its last lines were off the screen. Planted: no placement
    after the answer (Qt's own, over the parent) -> the dialog leaves the screen."""
    wallets_on(till)
    open_card(qtbot, window, till.cards[0])
    window.move(window.x(), 500)  # centred on it, the dialog would end below the screen

    dialog = wallet_dialog(qtbot, window)

    shows_a_link_to_the_cards_pass(qtbot, dialog, ui_server, till.cards[0], till.terminal.zone)
    screen = dialog.screen().availableGeometry()
    assert screen.contains(dialog.geometry())


def test_on_a_short_screen_the_qr_shrinks_and_still_scans(
    qtbot, window, till, ui_server, monkeypatch
):
    """A 1024x600 till: the QR at 8 px a module (456 px) and the lines around it would
    not fit; smaller modules keep the whole dialog on the screen. Planted: the QR at its
    full size whatever the screen -> taller than the room left for it."""
    short = QRect(0, 0, 1024, 600)
    monkeypatch.setattr("desktop.ui.wallet_dialog.available_area", lambda _w: short)
    wallets_on(till)
    open_card(qtbot, window, till.cards[0])

    dialog = wallet_dialog(qtbot, window)

    shows_a_link_to_the_cards_pass(qtbot, dialog, ui_server, till.cards[0], till.terminal.zone)
    assert dialog.qr_label.pixmap().height() <= short.height() - AROUND_QR_PX
