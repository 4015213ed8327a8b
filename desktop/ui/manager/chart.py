"""A small bar chart drawn with QPainter (no QtCharts in PySide6-Essentials).

One linear scale for the bars of one chart, each labeled with its value. Figures of
different kinds (points beside counts of visits) go in charts of their own: on one scale
45 points flattened 2 stamps to a sliver.
"""

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

COLORS = ("#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#546e7a")
MARGIN = 12
LABEL_HEIGHT = 28


class BarChart(QWidget):
    """Vertical bars with their value above and their label below, under a title that
    says what they count."""

    def __init__(
        self, title: str = "", colors: tuple[str, ...] = COLORS, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.colors = colors
        self._bars: list[tuple[str, int]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 220)

    def sizeHint(self) -> QSize:
        return QSize(420, 300)

    def set_bars(self, bars: list[tuple[str, int]]) -> None:
        self._bars = list(bars)
        text = ", ".join(f"{label}: {value}" for label, value in self._bars)
        text = f"{self.title} — {text}" if self.title else text
        self.setAccessibleDescription(text)
        self.setToolTip(text)
        self.update()

    def bars(self) -> list[tuple[str, int]]:
        return list(self._bars)

    def plot_area(self) -> QRectF:
        """Where the bars stand: the tallest bar reaches its top."""
        top = MARGIN + LABEL_HEIGHT + (LABEL_HEIGHT if self.title else 0)
        return QRectF(self.rect()).adjusted(MARGIN, top, -MARGIN, -(MARGIN + LABEL_HEIGHT))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), self.palette().base())
            if self._bars:
                self._draw(painter)
        finally:
            painter.end()

    def _draw(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSize(max(font.pointSize(), 11))
        painter.setFont(font)
        plot = self.plot_area()
        slot = plot.width() / len(self._bars)
        top = max((value for _, value in self._bars), default=0) or 1
        text_color = self.palette().text().color()
        painter.setPen(text_color)
        if self.title:
            heading = QRectF(MARGIN, MARGIN, self.width() - 2 * MARGIN, LABEL_HEIGHT)
            bold = QFont(font)
            bold.setBold(True)
            painter.setFont(bold)
            painter.drawText(
                heading, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title
            )
            painter.setFont(font)
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        for i, (label, value) in enumerate(self._bars):
            left = plot.left() + i * slot + slot * 0.15
            width = slot * 0.7
            height = plot.height() * max(value, 0) / top
            bar = QRectF(left, plot.bottom() - height, width, height)
            painter.fillRect(bar, QColor(self.colors[i % len(self.colors)]))
            above = QRectF(left - slot * 0.15, bar.top() - LABEL_HEIGHT, slot, LABEL_HEIGHT)
            below = QRectF(left - slot * 0.15, plot.bottom() + 4, slot, LABEL_HEIGHT)
            painter.setPen(text_color)
            painter.drawText(above, Qt.AlignmentFlag.AlignCenter, f"{value:,}")
            painter.drawText(below, Qt.AlignmentFlag.AlignCenter, label)
