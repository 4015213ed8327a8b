"""Render the till's screenshots into OUTDIR and print the files written."""

import argparse
import os
import sys
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
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt opens a display
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


if __name__ == "__main__":
    raise SystemExit(main())
