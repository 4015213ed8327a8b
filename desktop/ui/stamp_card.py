"""The stamps as a loyalty card: target circles, the earned ones filled."""

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.ui.style import OK_COLOUR

PER_ROW = 5


class StampCard(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.count = 0
        self.target = 10
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_stamps(self, count: int, target: int) -> None:
        self.count, self.target = count, max(1, target)
        self.setAccessibleName(f"{count} of {target} stamps")
        self.setToolTip(self.accessibleName())
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        rows = (self.target + PER_ROW - 1) // PER_ROW
        return QSize(PER_ROW * 64, rows * 64 + 8)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = min(self.width() / PER_ROW, 64.0)
        radius = cell * 0.38
        filled = QColor(OK_COLOUR)
        for index in range(self.target):
            row, col = divmod(index, PER_ROW)
            centre_x = col * cell + cell / 2
            centre_y = row * cell + cell / 2 + 4
            box = QRectF(centre_x - radius, centre_y - radius, 2 * radius, 2 * radius)
            painter.setPen(QPen(filled, 3))
            painter.setBrush(filled if index < self.count else Qt.GlobalColor.transparent)
            painter.drawEllipse(box)
        # More stamps than the target (a program change lowered it) still show as a number.
        if self.count > self.target:
            painter.setPen(Qt.GlobalColor.black)
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignRight, f"+{self.count - self.target}"
            )
        painter.end()
