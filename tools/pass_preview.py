"""Renders an Apple Wallet storeCard pass to a PNG, roughly as Wallet lays it out: a way
to look at what a pass shows without an iPhone (docs/wallets.md).

    python -m tools.pass_preview OUT.png --pkpass card.pkpass
    python -m tools.pass_preview OUT.png --pass-json pass.json
    python -m tools.pass_preview OUT.png --demo      # a sample card, no certificate

Only the layout is approximate; the text, colours and barcode are the pass's own."""

import argparse
import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qrcode
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPainterPath

WIDTH, HEIGHT, SCALE = 340, 440, 2
MARGIN = 16


def load_pass(args: argparse.Namespace) -> dict[str, Any]:
    if args.pkpass:
        with zipfile.ZipFile(io.BytesIO(Path(args.pkpass).read_bytes())) as archive:
            document: dict[str, Any] = json.loads(archive.read("pass.json"))
            return document
    if args.pass_json:
        loaded: dict[str, Any] = json.loads(Path(args.pass_json).read_text(encoding="utf-8"))
        return loaded
    return demo_pass()


def demo_pass() -> dict[str, Any]:
    """The pass the demo's first card would get: content from common/, no signature."""
    from common.card_number import SERVER_NODE, display, make_card_number
    from common.qr import encode_qr
    from common.wallet_pass import PassContent

    number = make_card_number(SERVER_NODE, 4821)
    from sync_server.wallet.apple_pass import pass_json

    content = PassContent(
        serial_number="3f9c1e0d8b7a65f4e3d2c1b0a9f8e7d6",
        program_name="Café Lumière",
        card_number=display(number),
        barcode_message=encode_qr(number, b"demo-key-for-the-preview-only"),
        is_active=True,
        stamps=7,
        stamps_target=10,
        points=120,
        next_reward="Free coffee in 3 stamps",
    )
    return pass_json(
        content,
        pass_type_id="pass.example.loyalty",  # noqa: S106 - an identifier, not a secret
        team_id="TEAMID1234",
        web_service_url="https://loyalty.example.com/wallet/apple",
        auth_token="0" * 64,
        organization_name="Lumière SARL",
    )


def colour(text: str | None, fallback: str) -> QColor:
    found = re.fullmatch(r"\s*rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)\s*", text or "")
    if not found:
        return QColor(fallback)
    red, green, blue = (int(v) for v in found.groups())
    return QColor(red, green, blue)


def render(document: dict[str, Any]) -> QImage:
    image = QImage(WIDTH * SCALE, HEIGHT * SCALE, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(SCALE, SCALE)
    _Card(painter, document).draw()
    painter.end()
    return image


class _Card:
    def __init__(self, painter: QPainter, document: dict[str, Any]) -> None:
        self.p = painter
        self.doc = document
        self.fg = colour(document.get("foregroundColor"), "#ffffff")
        self.label = colour(document.get("labelColor"), "#dddddd")
        self.bg = colour(document.get("backgroundColor"), "#333333")
        self.card: dict[str, list[dict[str, Any]]] = document.get("storeCard", {})

    def draw(self) -> None:
        outline = QPainterPath()
        outline.addRoundedRect(QRectF(0, 0, WIDTH, HEIGHT), 14, 14)
        self.p.fillPath(outline, self.bg)
        self._text(MARGIN, 14, WIDTH - 2 * MARGIN, 26, self.doc.get("logoText", ""), 15, True)
        self._fields(self.card.get("headerFields", []), 14, right=True)
        self._fields(self.card.get("primaryFields", []), 62, value_size=30)
        self._fields(self.card.get("secondaryFields", []), 140)
        self._fields(self.card.get("auxiliaryFields", []), 190)
        self._barcode()
        if self.doc.get("voided"):
            self._text(MARGIN, HEIGHT - 30, WIDTH - 2 * MARGIN, 20, "VOIDED", 12, True)

    def _fields(
        self, fields: list[dict[str, Any]], top: float, *, value_size: int = 15, right: bool = False
    ) -> None:
        if not fields:
            return
        # Wider values get wider columns, as Wallet shrinks short fields to fit long ones.
        weights = [max(len(str(f.get("label", ""))), len(str(f["value"])), 4) for f in fields]
        room = WIDTH - 2 * MARGIN if not right else (WIDTH - 2 * MARGIN) / 2
        left = MARGIN if not right else WIDTH - MARGIN - room
        for field, weight in zip(fields, weights, strict=True):
            width = room * weight / sum(weights)
            label = str(field.get("label", "")).upper()
            self._text(left, top, width - 6, 14, label, 9, True, self.label)
            self._text(left, top + 14, width - 6, value_size + 12, str(field["value"]), value_size)
            left += width

    def _barcode(self) -> None:
        barcodes = self.doc.get("barcodes") or []
        if not barcodes:
            return
        code = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(barcodes[0]["message"])
        code.make(fit=True)
        matrix = code.get_matrix()
        side = 150.0
        left, top = (WIDTH - side) / 2, HEIGHT - side - 58
        box = QPainterPath()
        box.addRoundedRect(QRectF(left - 10, top - 10, side + 20, side + 40), 6, 6)
        self.p.fillPath(box, QColor("#ffffff"))
        cell = side / len(matrix)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    self.p.fillRect(
                        QRectF(left + x * cell, top + y * cell, cell, cell), Qt.GlobalColor.black
                    )
        alt = barcodes[0].get("altText", "")
        self._text(
            left - 10,
            top + side + 4,
            side + 20,
            18,
            alt,
            10,
            colour_=QColor("#000000"),
            centre=True,
        )

    def _text(
        self,
        left: float,
        top: float,
        width: float,
        height: float,
        text: str,
        size: int,
        bold: bool = False,
        colour_: QColor | None = None,
        centre: bool = False,
    ) -> None:
        font = QFont("DejaVu Sans")
        font.setPixelSize(size)
        font.setBold(bold)
        self.p.setFont(font)
        self.p.setPen(colour_ or self.fg)
        align = Qt.AlignmentFlag.AlignHCenter if centre else Qt.AlignmentFlag.AlignLeft
        elided = self.p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(width))
        self.p.drawText(
            QRectF(left, top, width, height), align | Qt.AlignmentFlag.AlignVCenter, elided
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="the PNG to write")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--pkpass", type=Path, help="a .pkpass file")
    source.add_argument("--pass-json", type=Path, help="a pass.json file")
    source.add_argument("--demo", action="store_true", help="a sample card (the default)")
    args = parser.parse_args(argv)
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    image = render(load_pass(args))
    if not image.save(str(args.out)):
        print(f"cannot write {args.out}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
