"""What is drawn over the camera preview: the framing square, and for a code the
pipeline located but could not read, its outline and one short hint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF

if TYPE_CHECKING:
    from desktop.scan.burst import Spot

GUIDE_SHARE = 0.6  # of the preview's shorter side
HINT_COLOUR = QColor(255, 196, 0)


@dataclass(frozen=True)
class Guidance:
    """Located-but-unread codes of one frame (frame pixels) and the frame's size."""

    width: int
    height: int
    spots: tuple[Spot, ...] = field(default_factory=tuple)

    @property
    def hint(self) -> str:
        return self.spots[0].hint if self.spots else ""


READ_COLOUR = QColor(60, 220, 110)
REFUSED_COLOUR = QColor(235, 80, 60)  # not the hint's yellow: this is a no


def paint_guide(painter: QPainter, target: QRect, flashing: bool, refused: bool = False) -> None:
    """Dim what lies outside the square; draw its corners (green while flashing, red
    when the code read was refused)."""
    side = int(min(target.width(), target.height()) * GUIDE_SHARE)
    guide = QRect(0, 0, side, side)
    guide.moveCenter(target.center())
    shade = QColor(0, 0, 0, 110)
    painter.fillRect(target.left(), target.top(), target.width(), guide.top() - target.top(), shade)
    painter.fillRect(
        target.left(), guide.bottom() + 1, target.width(), target.bottom() - guide.bottom(), shade
    )
    painter.fillRect(target.left(), guide.top(), guide.left() - target.left(), side, shade)
    painter.fillRect(guide.right() + 1, guide.top(), target.right() - guide.right(), side, shade)
    flash = REFUSED_COLOUR if refused else READ_COLOUR
    colour = flash if flashing else QColor(255, 255, 255, 230)
    if flashing:
        painter.fillRect(guide, QColor(flash.red(), flash.green(), flash.blue(), 70))
    painter.setPen(QPen(colour, 4))
    arm = side // 5
    for x, y, dx, dy in (
        (guide.left(), guide.top(), 1, 1),
        (guide.right(), guide.top(), -1, 1),
        (guide.left(), guide.bottom(), 1, -1),
        (guide.right(), guide.bottom(), -1, -1),
    ):
        painter.drawLine(x, y, x + dx * arm, y)
        painter.drawLine(x, y, x, y + dy * arm)


def paint_guidance(
    painter: QPainter, target: QRect, guidance: Guidance, outline: bool = True
) -> None:
    """Outline each located code (frame pixels mapped onto the scaled preview), unless
    ``outline`` is False (the frame shown no longer locates it), and write the first
    hint large along the bottom."""
    if not guidance.spots:
        return
    sx = target.width() / max(1, guidance.width)
    sy = target.height() / max(1, guidance.height)
    painter.setPen(QPen(HINT_COLOUR, 3))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for spot in guidance.spots if outline else ():
        corners = QPolygonF(
            [QPointF(target.left() + x * sx, target.top() + y * sy) for x, y in spot.corners]
        )
        painter.drawPolygon(corners)
    band = QRectF(target.left(), target.bottom() - 56, target.width(), 52)
    painter.fillRect(band, QColor(0, 0, 0, 160))
    font = QFont(painter.font())
    font.setPointSize(20)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(HINT_COLOUR)
    painter.drawText(band, Qt.AlignmentFlag.AlignCenter, guidance.hint)
