"""The customer's loyalty card as a printable ID-1 layout (85.60 x 53.98 mm).

One drawing routine, ``render_card``, serves every target (PDF, printer, test image),
so what is saved is exactly what is printed. Geometry is in millimetres scaled to the
target rectangle; the QR is vector-filled and at least 20 mm wide so a phone or till
camera reads it from the printed card.
"""

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPen,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from common.card_number import display, normalize
from desktop.ui.qr_image import paint_qr

CARD_WIDTH_MM = 85.60
CARD_HEIGHT_MM = 53.98
CARD_CORNER_MM = 3.18
QR_SIDE_MM = 33.0  # with its 4-module quiet zone; the code itself is ~25 mm
TEXT_LEFT_MM = 5.0
TEXT_RIGHT_MM = 50.5
HINT = "Show this card at the till"


@dataclass(frozen=True)
class CardLayout:
    """What goes on a card: who issued it, whose it is, its number and its QR payload."""

    program_name: str
    customer: str  # the customer's name, or their email when no name was given
    card_number: str
    qr_payload: str

    @property
    def display_number(self) -> str:
        """The number in groups of four, as people read it out."""
        return display(self.card_number)

    @property
    def pdf_file_name(self) -> str:
        return f"card-{normalize(self.card_number)}.pdf"


def card_page_size() -> QPageSize:
    return QPageSize(
        QSizeF(CARD_WIDTH_MM, CARD_HEIGHT_MM),
        QPageSize.Unit.Millimeter,
        "ID-1 loyalty card",
        QPageSize.SizeMatchPolicy.ExactMatch,
    )


def render_card(painter: QPainter, rect: QRectF, layout: CardLayout) -> None:
    """Draw the card to fill ``rect`` (which should have the card's 85.60:53.98 ratio)."""
    mm = rect.width() / CARD_WIDTH_MM

    def at(x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(rect.left() + x * mm, rect.top() + y * mm, w * mm, h * mm)

    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    outline = at(0.15, 0.15, CARD_WIDTH_MM - 0.3, CARD_HEIGHT_MM - 0.3)
    painter.setPen(QPen(QColor("#b0b0b0"), max(1.0, 0.2 * mm)))
    painter.setBrush(QColor(Qt.GlobalColor.white))
    painter.drawRoundedRect(outline, CARD_CORNER_MM * mm, CARD_CORNER_MM * mm)

    qr_top = (CARD_HEIGHT_MM - QR_SIDE_MM) / 2
    paint_qr(
        painter,
        at(CARD_WIDTH_MM - QR_SIDE_MM - 1.0, qr_top, QR_SIDE_MM, QR_SIDE_MM),
        layout.qr_payload,
    )

    width = TEXT_RIGHT_MM - TEXT_LEFT_MM
    _text(painter, at(TEXT_LEFT_MM, 5.0, width, 6.0), layout.program_name, 4.4 * mm, bold=True)
    _text(painter, at(TEXT_LEFT_MM, 13.5, width, 5.0), layout.customer, 3.4 * mm)
    _text(painter, at(TEXT_LEFT_MM, 26.0, width, 3.0), "CARD NUMBER", 2.1 * mm, color="#666666")
    _text(painter, at(TEXT_LEFT_MM, 29.5, width, 5.0), layout.display_number, 3.6 * mm, mono=True)
    _text(painter, at(TEXT_LEFT_MM, 44.5, width, 4.0), HINT, 2.6 * mm, color="#444444")
    painter.restore()


def _text(
    painter: QPainter,
    box: QRectF,
    text: str,
    size_px: float,
    *,
    bold: bool = False,
    mono: bool = False,
    color: str = "#000000",
) -> None:
    """One line, shrunk (to 70 %) and then elided so it never runs into the QR."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if mono else QFont()
    font.setBold(bold)
    size = size_px
    while True:
        font.setPixelSize(max(1, round(size)))
        metrics = QFontMetricsF(font, painter.device())
        if metrics.horizontalAdvance(text) <= box.width() or size <= size_px * 0.7:
            break
        size *= 0.95
    shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, box.width())
    painter.setFont(font)
    painter.setPen(QColor(color))
    painter.drawText(box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)


def _paint_on(printer: QPrinter, layout: CardLayout) -> None:
    """Draw the card at its real size at the top-left of the printable area."""
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(f"cannot open the printer or file {printer.outputFileName()!r}")
    try:
        dots_per_mm = printer.resolution() / 25.4
        size = QSizeF(CARD_WIDTH_MM * dots_per_mm, CARD_HEIGHT_MM * dots_per_mm)
        page = printer.pageRect(QPrinter.Unit.DevicePixel)
        fit = min(1.0, page.width() / size.width(), page.height() / size.height())
        render_card(painter, QRectF(QPointF(0, 0), size * fit), layout)
    finally:
        painter.end()


def save_card_pdf(layout: CardLayout, path: Path | str) -> None:
    """Write a one-page PDF whose page is exactly the card, with no margins."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setPageLayout(
        QPageLayout(
            card_page_size(),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
            QPageLayout.Unit.Millimeter,
        )
    )
    printer.setFullPage(True)
    printer.setDocName(layout.pdf_file_name)
    _paint_on(printer, layout)


def print_card(layout: CardLayout, parent: QWidget | None = None) -> bool:
    """Ask for a printer and print the card; False when the cashier cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(layout.pdf_file_name)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print loyalty card")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    _paint_on(printer, layout)
    return True
