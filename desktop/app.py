"""Entry point of ``loyalty-terminal``: open (or pair) this till, start the background
sync, show the window."""

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from common.version import VERSION
from desktop.engine import paths, server_address
from desktop.malloc import tune_malloc

if TYPE_CHECKING:
    from desktop.engine.terminal import Terminal
    from desktop.ui.main_window import MainWindow

PAIRING_CODE_ENV = "LOYALTY_PAIRING_CODE"


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="loyalty-terminal",
        description="The loyalty till: opens this till's window (pairing it with the "
        "sync server on a first start) and syncs in the background.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"where the till keeps its database (default: the user data dir; "
        f"env {paths.ENV_DATA_DIR})",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("LOYALTY_SERVER_URL", ""),
        help="sync server address, offered when pairing",
    )
    parser.add_argument(
        "--pairing-code",
        default=os.environ.get(PAIRING_CODE_ENV, ""),
        metavar="CODE",
        help="pair at once with this one-time code (first run); '-' reads it from "
        f"standard input, and env {PAIRING_CODE_ENV} gives it too: both keep it out of "
        "the process list, where an argument is visible to every user",
    )
    parser.add_argument(
        server_address.ALLOW_INSECURE_FLAG,
        action="store_true",
        default=server_address.insecure_allowed_by(os.environ),
        help="for a test lab only: accept a plain http:// server that is not this machine "
        f"(env {server_address.ALLOW_INSECURE_ENV}=1); the device token then crosses the "
        "network unencrypted",
    )
    parser.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    parser.add_argument(
        "--sync-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between two syncs with the server while online (default 5)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this build offscreen (window, QR decoding, local database) in a "
        "scratch dir (under --data-dir if given) and exit 0 if all pass",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.self_test:
        from desktop import self_test

        return self_test.run(args.data_dir)
    missing = display_problem(os.environ, sys.platform)
    if missing:  # before Qt, which would abort with its own text (exit 134)
        print(f"loyalty-terminal: {missing}", file=sys.stderr)
        return 2
    if args.pairing_code == "-":
        args.pairing_code = _read_pairing_code()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line (and cursor) per sync poll
    tune_malloc()  # before any thread starts: see desktop.malloc
    # Qt is imported here, not at module level: `--help` works without a display.
    from PySide6.QtWidgets import QApplication

    from desktop.ui.stop_signals import StopOnSignals

    app = QApplication(sys.argv[:1])
    app.setApplicationName("loyalty-terminal")
    stop = StopOnSignals(app)  # Ctrl-C closes the window, pairing included
    terminal, window = open_till(args)
    if window is not None:  # the store's name comes with the first pull: never blank
        name = terminal.store_name
        logging.getLogger(__name__).info("till window open%s", f": {name}" if name else "")
    try:
        if stop.asked:
            return 0
        return app.exec() if window is not None else 1
    finally:
        terminal.close()


def display_problem(env: Mapping[str, str], platform: str) -> str | None:
    """Why Qt could not open a window here, in one line; None if it can try."""
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open; "
        "run it on the desktop, under a virtual one (xvfb-run loyalty-terminal ...), "
        "or without one (QT_QPA_PLATFORM=offscreen loyalty-terminal ...)"
    )


def _read_pairing_code() -> str:
    """``--pairing-code -``: one line from standard input, asked without echo on a tty."""
    if sys.stdin.isatty():
        return getpass.getpass("Pairing code: ").strip()
    return sys.stdin.readline().strip()


def open_till(args: argparse.Namespace) -> "tuple[Terminal, MainWindow | None]":
    """The till's engine and its window; pairing first on a first start (None if the
    cashier gives up pairing). The caller runs the event loop and closes the engine."""
    from PySide6.QtWidgets import QDialog

    from desktop.engine.terminal import Terminal
    from desktop.ui.main_window import MainWindow

    terminal = Terminal(
        args.data_dir or paths.data_dir(), allow_insecure_http=args.allow_insecure_http
    )
    if not terminal.paired:
        from desktop.ui.pairing import PairingDialog  # a first start only

        pairing = PairingDialog(terminal, None, args.server, args.pairing_code)
        if args.server and args.pairing_code:
            pairing.pair()
        if pairing.exec() != QDialog.DialogCode.Accepted:
            return terminal, None
    terminal.start_sync(args.sync_interval)
    from desktop.scan.recorded import source_from_env

    camera_source = source_from_env(os.environ)  # LOYALTY_CAMERA=file:… plays a recording
    window = MainWindow(terminal, camera_source=camera_source, camera_index=args.camera)
    window.show()
    return terminal, window


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return _args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
