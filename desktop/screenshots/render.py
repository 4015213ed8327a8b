"""Every main view of the till, rendered from the real window over the demo server.

One pass through a shift, in the order a cashier meets the screens: pair, the empty
till, a card with a stamp added, earn, redeem, void, history, a new card, the manager
area, the till offline, and the camera pane guiding a card it cannot read yet. Views
are opened through the window's public methods (this is a renderer, not a test:
tests/ui drives the same screens by keys)."""

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog

from common.card_number import make_card_number
from common.operations import RedeemPoints
from common.outcome import Rejected
from common.qr import encode_qr, parse_qr
from desktop.engine.manager_api import ManagerApi
from desktop.engine.terminal import Terminal
from desktop.engine.till import Till
from desktop.engine.tokens import MemoryTokens
from desktop.scan.burst import TILT
from desktop.scan.reader import CameraUnavailable, FrameSource
from desktop.scan.recorded import RecordedCamera
from desktop.screenshots.demo_server import (
    OWNER_EMAIL,
    OWNER_PASSWORD,
    STAFF_NAME,
    STAFF_PIN,
    STORE_ID,
    DemoServer,
)
from desktop.screenshots.frames import over, picture, save
from desktop.screenshots.settle import NotSettled, wait_until
from desktop.ui.action_dialogs import EarnDialog, EnrollDialog, RewardDialog, VoidDialog
from desktop.ui.camera import CameraView
from desktop.ui.enroll_result import EnrollResultDialog
from desktop.ui.history_view import HistoryDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.manager.login_dialog import ManagerLoginDialog
from desktop.ui.manager.window import ManagerWindow
from desktop.ui.pairing import PairingDialog
from desktop.ui.pin_dialog import PinDialog

WINDOW_SIZE = (1280, 800)
MANAGER_SIZE = (1100, 760)
CAMERA_SIZE = (960, 540)
DEMO_ZONE = "Europe/Paris"  # the demo stores' time zone (sync_server/demo.py)
SYNC_INTERVAL = 2.0  # seconds, as a till syncs while online (a little quicker)

MANAGER_TABS = ("program", "staff", "adjust", "terminals", "stats")
FILES: tuple[str, ...] = (
    "01-pairing.png",
    "02-till-empty.png",
    "03-pin.png",
    "04-card.png",
    "05-earn.png",
    "06-reward.png",
    "07-void.png",
    "08-card-history.png",
    "09-store-history.png",
    "10-needs-attention.png",
    "11-new-card.png",
    "12-enroll-result.png",
    "13-manager-login.png",
    *(f"{14 + i}-manager-{tab}.png" for i, tab in enumerate(MANAGER_TABS)),
    "19-offline.png",
    "20-camera-hint.png",
)

D = TypeVar("D", bound=QDialog)


def no_camera(index: int) -> FrameSource:
    """The demo till has no camera: its pane shows what a till without one shows."""
    raise CameraUnavailable(f"no camera at index {index}")


class Shots:
    """Where the pictures go; refuses a name that is not in ``FILES``."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.written: list[Path] = []

    def take(self, name: str, pixmap: QPixmap) -> None:
        if name not in FILES:
            raise ValueError(f"{name} is not one of the screenshots")
        self.written.append(save(pixmap, self.outdir / name))


def render_all(outdir: Path) -> list[Path]:
    """Start the demo server, pair a scratch till to it, and write ``FILES`` to
    ``outdir``; the paths written, in order."""
    outdir.mkdir(parents=True, exist_ok=True)
    with local_zone(DEMO_ZONE), tempfile.TemporaryDirectory(prefix="till-") as scratch:
        server = DemoServer(Path(scratch))
        server.start()
        try:
            return _session(Shots(outdir), server, Path(scratch) / "till")
        finally:
            server.stop()


@contextmanager
def local_zone(zone: str) -> Iterator[None]:
    """The till PC's clock in the shop's zone, as in the shop: the same pictures on any
    machine (the till shows some times in the PC's zone)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def _session(shots: Shots, server: DemoServer, till_dir: Path) -> list[Path]:
    api = ManagerApi.login(server.url, OWNER_EMAIL, OWNER_PASSWORD, STORE_ID)
    terminal = Terminal(till_dir, tokens=MemoryTokens())
    try:
        _pair(shots, terminal, server.url, api.pairing_code().code)
        _flag_one_redemption(terminal, api)
        terminal.start_sync(SYNC_INTERVAL)
        window = MainWindow(terminal, camera_source=no_camera)
        window.resize(*WINDOW_SIZE)
        window.show()
        try:
            _counter(shots, window)
            _enroll(shots, window)
            _manager(shots, window)
            _offline(shots, window, server)
            _camera_hint(shots)
        finally:
            wait_until(lambda: window.background.pending == 0, "the window's last jobs")
            window.close()
    finally:
        terminal.close()
        api.close()
    return shots.written


# -- before the window --------------------------------------------------------------


def _pair(shots: Shots, terminal: Terminal, url: str, code: str) -> None:
    dialog = PairingDialog(terminal, None, url, code)
    dialog.show()
    shots.take("01-pairing.png", picture(dialog))
    dialog.pair()
    wait_until(
        lambda: dialog.result() == QDialog.DialogCode.Accepted,
        "the pairing to be accepted",
        dialog.message.text,
    )
    dialog.close()
    wait_until(
        lambda: terminal.client.sync_once().online and terminal.ready,
        "the first pull (program, cards, staff)",
        lambda: str(terminal.client.state),
    )


def _flag_one_redemption(terminal: Terminal, api: ManagerApi) -> None:
    """Something on the attention list: Louis's coffee redeemed on this till offline,
    after the owner had taken his points back on the server."""
    louis = card_of(terminal, "Louis Laurent")
    api.adjust_points(louis, -100, "Points used at the Gare store")
    offline = Till(terminal.store)  # never online: the op is queued as made offline
    done = offline.perform(RedeemPoints(card_number=louis, reward_id="coffee"), staff_id(terminal))
    if isinstance(done, Rejected):
        raise NotSettled(f"the offline redemption was refused: {done.code}")


def card_of(terminal: Terminal, name: str) -> str:
    found = terminal.search(name)
    if isinstance(found, Rejected) or len(found) != 1:
        raise NotSettled(f"the demo card of {name} is not on the till: {found}")
    return found[0].card_number


def staff_id(terminal: Terminal) -> int:
    return next(m.id for m in terminal.staff() if m.name == STAFF_NAME)


# -- at the counter -----------------------------------------------------------------


def _counter(shots: Shots, window: MainWindow) -> None:
    terminal = window.terminal
    wait_until(
        lambda: (
            window.background.pending == 0
            and terminal.client.state.online
            and not terminal.client.state.pending
            and bool(terminal.attention())
        ),
        "the till online with its offline redemption judged",
        lambda: f"{terminal.client.state}, attention {len(terminal.attention())}",
    )
    shots.take("02-till-empty.png", picture(window))
    show_card(window, card_of(terminal, "Tom Durand"))
    window.on_action("stamp")
    pin = opened(window, PinDialog)
    pin.choose(staff_id(terminal))
    pin.pin.setText(STAFF_PIN)
    shots.take("03-pin.png", over(window, pin))
    pin.submit()
    answered(window, "Stamp added")
    shots.take("04-card.png", picture(window))

    window.on_action("earn")
    earn = opened(window, EarnDialog)
    for key in "1250":
        earn.press(key)
    earn.order.setText("ORD-1042")
    shots.take("05-earn.png", over(window, earn))
    earn.try_accept()
    confirm_pin(window)
    answered(window, "Points added")

    window.on_action("reward")
    reward = opened(window, RewardDialog)
    shots.take("06-reward.png", over(window, reward))
    reward.try_accept()
    confirm_pin(window)
    answered(window, "Reward redeemed")
    _lists(shots, window)


def _lists(shots: Shots, window: MainWindow) -> None:
    window.on_action("void")
    void = opened(window, VoidDialog)
    void.list.setCurrentRow(0)
    shots.take("07-void.png", over(window, void))
    void.reject()
    closed(window)
    for name, store_only, attention in (
        ("08-card-history.png", False, False),
        ("09-store-history.png", True, False),
        ("10-needs-attention.png", False, True),
    ):
        window.show_history(store_only=store_only, attention=attention)
        dialog = opened(window, HistoryDialog)
        shots.take(name, over(window, dialog))
        dialog.accept()
        closed(window)


def _enroll(shots: Shots, window: MainWindow) -> None:
    window.enroll()
    form = opened(window, EnrollDialog)
    form.email.setText("camille.roux@example.com")
    form.name.setText("Camille Roux")
    form.phone.setText("+33 6 12 34 56 09")
    shots.take("11-new-card.png", over(window, form))
    form.try_accept()
    confirm_pin(window)
    result = opened(window, EnrollResultDialog)
    wait_until(lambda: window.background.pending == 0, "the new card on the panel")
    shots.take("12-enroll-result.png", over(window, result))
    result.accept()
    closed(window)


# -- the manager area and offline -------------------------------------------------------


def _manager(shots: Shots, window: MainWindow) -> None:
    window.open_manager()
    login = opened(window, ManagerLoginDialog)
    login.email.setText(OWNER_EMAIL)
    login.password.setText(OWNER_PASSWORD)
    shots.take("13-manager-login.png", over(window, login))
    login.log_in()
    wait_until(
        lambda: window.manager is not None and window.manager.isVisible(),
        "the manager area to open",
        login.error.text,
    )
    manager = window.manager
    assert isinstance(manager, ManagerWindow)
    manager.resize(*MANAGER_SIZE)
    for index, tab in enumerate(MANAGER_TABS):
        manager.tabs.setCurrentIndex(index)
        wait_until(
            lambda: manager.background.pending == 0, f"the {tab} tab's data", manager.message.text
        )
        shots.take(f"{14 + index}-manager-{tab}.png", picture(manager))
    manager.close()
    window.manager = None


def _offline(shots: Shots, window: MainWindow, server: DemoServer) -> None:
    show_card(window, card_of(window.terminal, "Zoé Leroy"))
    server.stop()
    window.terminal.client.wake()
    wait_until(
        lambda: "Offline" in window.status.online.text(),
        "the status bar to say offline",
        window.status.online.text,
    )
    window.on_action("earn")
    earn = opened(window, EarnDialog)
    for key in "840":
        earn.press(key)
    earn.try_accept()
    confirm_pin(window)
    answered(window, "Points added")
    wait_until(
        lambda: window.terminal.client.state.pending > 0,
        "the offline earn counted as waiting",
        window.status.pending.text,
    )
    shots.take("19-offline.png", picture(window))


def _camera_hint(shots: Shots) -> None:
    """The camera pane over a card it located but cannot read yet: the first frames of
    a glare burst of the hard set (bench/qr_frames_hard), played in a loop, outlined
    with the hint that asks for a tilt. The pane alone: the till's window above has no
    camera, as the demo till has none."""
    from bench import qr_frames_hard as hard  # the renderer's, not the till's (not bundled)

    key = bytes(range(32))  # a picture's key, no shop's
    card = encode_qr(make_card_number(1_000_615, 3), key)
    foreign = encode_qr(make_card_number(1_000_888, 2), bytes(range(32, 64)))
    glared = [f.image for f in hard.burst("glare", card, 15, 0, foreign).frames[:3]]
    view = CameraView(
        lambda _index: RecordedCamera(glared),
        accept=lambda text: isinstance(parse_qr(text, key), str),
    )
    view.resize(*CAMERA_SIZE)
    view.show()
    try:
        view.start(0)
        wait_until(
            lambda: view.hint == TILT and view.outlined,
            "the glared card outlined, with its hint",
            lambda: f"hint {view.hint!r}, outlined {view.outlined}",
        )
        shots.take("20-camera-hint.png", picture(view))
    finally:
        view.stop()
        view.close()


# -- waiting on the window ------------------------------------------------------------


def show_card(window: MainWindow, number: str) -> None:
    window.open_card(number)
    wait_until(
        lambda: (
            window.panel.view is not None
            and window.panel.view.card_number == number
            and window.background.pending == 0
        ),
        f"card {number} on the panel",
        window.panel.title.text,
    )


def opened(window: MainWindow, kind: type[D]) -> D:
    wait_until(
        lambda: isinstance(window.dialog, kind) and window.dialog.isVisible(),
        f"the {kind.__name__} to open",
        lambda: f"dialog {type(window.dialog).__name__}, banner {window.panel.banner.text()!r}",
    )
    dialog = window.dialog
    assert isinstance(dialog, kind)
    return dialog


def closed(window: MainWindow) -> None:
    wait_until(lambda: window.dialog is None, "the dialog to close", lambda: str(window.dialog))


def confirm_pin(window: MainWindow) -> None:
    """Answer the PIN dialog when the till asks (a cashier still signed in is not asked:
    then ``answered`` waits for the verdict alone)."""
    if not isinstance(window.dialog, PinDialog):
        return
    pin = opened(window, PinDialog)
    pin.choose(staff_id(window.terminal))
    pin.pin.setText(STAFF_PIN)
    pin.submit()


def answered(window: MainWindow, verdict: str) -> None:
    """The PIN accepted, the op performed, and its verdict on the panel."""
    banner = window.panel.banner

    def done() -> bool:
        return (
            window.dialog is None
            and window.background.pending == 0
            and banner.text().startswith(verdict)
        )

    wait_until(done, f"the verdict {verdict!r}", banner.text)
