"""Render the till's screenshots into OUTDIR and print the files written."""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

# Said by the offscreen platform for every dialog shown; nothing is wrong.
_NOISE = "This plugin does not support propagateSizeHints()"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m desktop.screenshots",
        description="Render every main view of the till with demo data to PNG, offscreen "
        "(starts the demo server on a free loopback port, pairs a scratch till).",
    )
    parser.add_argument("outdir", type=Path, help="where the PNG files go (made if missing)")
    args = parser.parse_args(argv)
    # Before Qt opens a display: an offscreen screen the size of the till's (the
    # default 800x600 shrank every dialog fitted to the screen below what a till shows).
    os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={_till_screen()}")
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from desktop.screenshots.render import render_all

    def quiet(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if message != _NOISE:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(quiet)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    try:
        written = render_all(args.outdir)
    finally:
        qInstallMessageHandler(previous)
    for path in written:
        print(path)
    del app
    return 0


def _till_screen() -> Path:
    """The offscreen platform's screen: 1280x800 at 96 dpi, a common till."""
    screen = {"name": "till", "x": 0, "y": 0, "width": 1280, "height": 800}
    config = {"screens": [{**screen, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}
    path = Path(tempfile.gettempdir()) / "loyalty-screenshots-screen.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
