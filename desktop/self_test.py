"""``loyalty-terminal --self-test``: does this build of the till work on this machine?

A packaged till fails in ways the source tree never does: a Qt platform plugin, a
native library (OpenCV, zxing-cpp, argon2's C code), the time zone data or the CA
bundle left out of the bundle. Each check runs the till's real code on one of those
pieces and prints one line with its time; the first failure prints why and the exit
code is 1. It needs no server, pairing, camera or display: Qt runs offscreen unless
``QT_QPA_PLATFORM`` says otherwise, the till lives in a fresh scratch directory
(removed afterwards, never the real data dir) and its device token in memory.
"""

import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from common.card_number import make_card_number
from common.qr import encode_qr, parse_qr

if TYPE_CHECKING:
    from desktop.scan.frames import Frame, Image

# Each check imports what it tests. The window check runs first, so its time includes
# loading the till, as at a start.
QR_KEY = b"self-test key, not a merchant's"
CARD_NUMBER = make_card_number(1, 2026)
PAYLOAD = encode_qr(CARD_NUMBER, QR_KEY)
WINDOW_TIMEOUT_S = 20.0


class CheckFailed(Exception):
    """A check ran and found the till not working; the message says what it saw."""


def sample_frame() -> "Frame":
    """A 1280x720 camera-like frame holding a signed card payload, as a till reads."""
    from desktop.scan.frames import HD, Pose, render

    return render(PAYLOAD, seed=2026, size=HD, pose=Pose(side=0.4, angle_deg=7.0))


def check_decode(frame: "Frame") -> str:
    """The camera worker's decoder finds the payload and the till's parser accepts it."""
    from desktop.scan.decoders import best_decoder

    texts = best_decoder().decode(frame.image)
    if texts != [frame.payload]:
        raise CheckFailed(f"decoder read {texts!r} in frame {frame.name!r}, not the card")
    number = parse_qr(texts[0], QR_KEY)
    if number != CARD_NUMBER:
        raise CheckFailed(f"payload parsed as {number!r}, not {CARD_NUMBER}")
    height, width = frame.image.shape[:2]
    return f"{best_decoder().name} read card {CARD_NUMBER} in a {width}x{height} frame"


def check_local_db(workdir: Path) -> str:
    """Write an outbox op and a meta value, close, reopen, read both back; encrypted as
    a till's is (SQLCipher's native library bundled and working)."""
    import secrets

    from common.operations import AddStamp
    from desktop.engine import cache_cipher, local_schema
    from desktop.engine.cache_key import KEY_BYTES, CacheKey
    from desktop.engine.local_store import LocalStore
    from desktop.engine.tokens import MemoryTokens

    path = workdir / "roundtrip" / "till.db"
    op = AddStamp(card_number=CARD_NUMBER)
    written = {"at": datetime.now(UTC).isoformat()}
    key = CacheKey(secrets.token_bytes(KEY_BYTES), MemoryTokens())
    store = LocalStore(path, key=key)
    try:
        with store.transaction() as conn:
            store.set_meta(conn, "self_test", written)
        entry = store.append(
            op, client_time=datetime.now(UTC), staff_pin_id=None, offline=True, snapshot_age_s=0
        )
    finally:
        store.close()
    store = LocalStore(path, key=key)
    try:
        back = store.entry(entry.op_id)
        meta = store.get_meta("self_test")
        with store.reading() as conn:
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            schema = local_schema.version(conn)
    finally:
        store.close()
    if back is None or back.op != op or back.seq != entry.seq:
        raise CheckFailed(f"outbox op {entry.op_id} read back as {back!r}")
    if meta != written:
        raise CheckFailed(f"meta read back as {meta!r}, not {written!r}")
    if journal != "wal":
        raise CheckFailed(f"journal mode is {journal!r}, the till needs WAL")
    if not cache_cipher.is_sealed(path):
        raise CheckFailed("the database file is not encrypted")
    return (
        f"outbox op #{back.seq} and meta read back after reopening "
        f"(schema v{schema}, WAL, encrypted)"
    )


def check_runtime() -> str:
    """The small pieces a bundler forgets: argon2's C binding (staff PINs), time zone
    data (store days), the CA bundle (HTTPS to the server), the keyring backends."""
    from importlib import resources
    from zoneinfo import ZoneInfo

    import certifi
    import httpx
    import keyring
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024)
    if not hasher.verify(hasher.hash("2468"), "2468"):
        raise CheckFailed("argon2 did not verify its own hash")
    # Windows has no system time zone database: the till carries the tzdata package.
    if not (resources.files("tzdata.zoneinfo") / "Europe" / "Paris").is_file():
        raise CheckFailed("the tzdata package has no Europe/Paris")
    if datetime(2026, 7, 1, tzinfo=ZoneInfo("Europe/Paris")).utcoffset() is None:
        raise CheckFailed("no offset for Europe/Paris")
    if not Path(certifi.where()).is_file():
        raise CheckFailed(f"CA bundle missing at {certifi.where()}")
    httpx.create_ssl_context()  # loads that bundle: fails if it is unreadable
    backend = type(keyring.get_keyring()).__module__.removeprefix("keyring.backends.")
    return f"argon2id, tzdata, CA bundle, keyring backend {backend}"


class _Still:
    """A camera that always shows the sample frame (the preview paces the reads). It
    draws the frame when opened, on the camera thread, as a webcam opens there."""

    def __init__(self) -> None:
        self._image = sample_frame().image

    def read(self) -> "Image":
        return self._image

    def close(self) -> None:
        pass


def check_window(workdir: Path) -> str:
    """The real main window over an unpaired till; its camera worker is fed the frame
    and must report the card (the whole scan path: thread, decoder, signals)."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.engine.terminal import Terminal
    from desktop.engine.tokens import MemoryTokens
    from desktop.ui.camera import CAMERA_FAILED, CAMERA_LOST
    from desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    terminal = Terminal(workdir / "till", tokens=MemoryTokens())
    read: list[str] = []
    statuses: list[str] = []
    try:
        window = MainWindow(terminal, camera_source=lambda _index: _Still())
        loop = QEventLoop()

        def on_read(text: str) -> None:
            read.append(text)
            loop.quit()

        def on_status(text: str) -> None:
            statuses.append(text)
            if text in (CAMERA_FAILED, CAMERA_LOST):
                loop.quit()

        window.camera.code_read.connect(on_read)
        window.camera.status_changed.connect(on_status)
        QTimer.singleShot(int(WINDOW_TIMEOUT_S * 1000), loop.quit)
        window.show()
        app.processEvents()  # laid out and painted once
        age = process_age_ms()
        if not read:  # the card may already have been read while painting
            loop.exec()
        shown = window.isVisible()
        window.close()
    finally:
        terminal.close()
    if not shown:
        raise CheckFailed("the main window did not show")
    if read != [PAYLOAD]:
        raise CheckFailed(f"the window's camera read {read!r}; its states: {statuses!r}")
    platform = app.platformName() if isinstance(app, QApplication) else "?"
    when = f" {age} ms after the process started" if age is not None else ""
    return f"main window shown{when} ({platform}); its camera worker read the card"


def process_age_ms() -> int | None:
    """How long ago this process started (the till's start time when the window is
    first up), from /proc on Linux; None where there is no /proc."""
    try:
        stat = Path("/proc/self/stat").read_text()
        uptime_s = float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return None
    start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
    return round((uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000)


def checks(workdir: Path) -> list[tuple[str, Callable[[], str]]]:
    """The window first: its time then includes loading the whole till, as at a start."""
    return [
        ("window", lambda: check_window(workdir)),
        ("runtime", check_runtime),
        ("qr-decode", lambda: check_decode(sample_frame())),
        ("local-db", lambda: check_local_db(workdir)),
    ]


def run(parent: Path | None = None, out: TextIO = sys.stdout) -> int:
    """Run every check in a scratch dir (made under ``parent`` when given); 0 if all
    pass, 1 at the first failure."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    made = _first_missing(parent)  # removed afterwards: made for this run only
    try:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)  # `--data-dir` of a till not made yet
        workdir = Path(tempfile.mkdtemp(prefix="loyalty-self-test-", dir=parent))
    except OSError as exc:
        where = parent or tempfile.gettempdir()
        print(f"FAIL setup: no scratch directory under {where}: {exc}", file=out, flush=True)
        return 1
    try:
        for name, check in checks(workdir):
            begun = time.perf_counter()
            try:
                detail = check()
            except Exception as exc:  # reported with its reason: that is the point
                took = _ms(begun)
                traceback.print_exc()  # to stderr: where in the bundle it broke
                print(f"FAIL {name:<9} {took:>6} ms  {type(exc).__name__}: {exc}", file=out)
                return 1
            print(f"ok   {name:<9} {_ms(begun):>6} ms  {detail}", file=out, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    print(f"self-test passed in {_ms(started)} ms", file=out, flush=True)
    return 0


def _first_missing(path: Path | None) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (None if all do)."""
    missing = None
    while path is not None and not path.exists() and path != path.parent:
        missing, path = path, path.parent
    return missing


def _ms(since: float) -> int:
    return round((time.perf_counter() - since) * 1000)
