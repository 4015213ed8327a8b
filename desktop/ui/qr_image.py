"""QR codes drawn by Qt itself: hard-edged modules on white, for the screen and for print.

The matrix comes from ``qrcode`` (no PIL); painting is ours so a code stays crisp at any
size: whole pixels per module on screen, filled vector rectangles on paper and in PDFs.
"""

from collections.abc import Iterator
from itertools import groupby

import qrcode
from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


def qr_matrix(payload: str) -> list[list[bool]]:
    """Dark (True) and light modules of the code, without its quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def qr_image(payload: str, module_px: int = 8, border: int = 4) -> QImage:
    """A black-on-white QR image, ``module_px`` pixels per module, ``border`` modules wide."""
    if module_px < 1 or border < 0:
        raise ValueError("module_px must be >= 1 and border >= 0")
    matrix = qr_matrix(payload)
    side = (len(matrix) + 2 * border) * module_px
    image = QImage(side, side, QImage.Format.Format_Grayscale8)
    image.fill(QColor(Qt.GlobalColor.white))
    painter = QPainter(image)
    try:
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    left, top = (x + border) * module_px, (y + border) * module_px
                    painter.fillRect(left, top, module_px, module_px, Qt.GlobalColor.black)
    finally:
        painter.end()
    return image


def dark_runs(row: list[bool]) -> Iterator[tuple[int, int]]:
    """(start, length) of each stretch of dark modules in one row."""
    for dark, group in groupby(enumerate(row), key=lambda cell: cell[1]):
        cells = list(group)
        if dark:
            yield cells[0][0], len(cells)


def paint_qr(painter: QPainter, rect: QRectF, payload: str, border: int = QUIET_ZONE) -> None:
    """Fill ``rect`` (made square, centred) with the code as one vector path.

    One path of merged row runs leaves no hairline seams between modules in PDF viewers,
    and antialiasing is off so rasterised output keeps hard edges.
    """
    matrix = qr_matrix(payload)
    side = min(rect.width(), rect.height())
    square = QRectF(rect.center().x() - side / 2, rect.center().y() - side / 2, side, side)
    module = side / (len(matrix) + 2 * border)
    origin = square.topLeft() + QPointF(border * module, border * module)
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    for y, row in enumerate(matrix):
        for x, length in dark_runs(row):
            top_left = origin + QPointF(x * module, y * module)
            path.addRect(QRectF(top_left, QSizeF(length * module, module)))
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.fillRect(square, Qt.GlobalColor.white)
    painter.fillPath(path, QColor(Qt.GlobalColor.black))
    painter.restore()
