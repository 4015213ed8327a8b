"""Pictures of windows: a top-level window as it is, a dialog over its dimmed parent
window (where a cashier sees it), saved as PNG."""

from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from desktop.screenshots.settle import pause

DIM = QColor(0, 0, 0, 70)
EDGE = QColor("#6b6b6b")
TITLE_BACK = QColor("#d6d6d6")
TITLE_HEIGHT = 30


def picture(widget: QWidget) -> QPixmap:
    pause(50)  # pending layouts and paints first
    return widget.grab()


def over(parent: QWidget, dialog: QWidget) -> QPixmap:
    """The dialog, under a title bar with its window title (an offscreen grab has no
    frame), centred over its parent window, the parent dimmed behind it."""
    back = picture(parent)
    front = picture(dialog)
    size = QSize(front.width(), front.height() + TITLE_HEIGHT)
    at = QPoint(
        max(0, (back.width() - size.width()) // 2), max(0, (back.height() - size.height()) // 2)
    )
    painter = QPainter(back)
    painter.fillRect(back.rect(), DIM)
    bar = QRect(at, QSize(size.width(), TITLE_HEIGHT))
    painter.fillRect(bar, TITLE_BACK)
    font = QFont(dialog.font())
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#202020"))
    painter.drawText(
        bar.adjusted(12, 0, -12, 0), int(Qt.AlignmentFlag.AlignVCenter), dialog.windowTitle()
    )
    painter.drawPixmap(at + QPoint(0, TITLE_HEIGHT), front)
    painter.setPen(QPen(EDGE, 1))
    painter.drawRect(QRect(at, size).adjusted(-1, -1, 0, 0))
    painter.end()
    return back


def save(pixmap: QPixmap, path: Path) -> Path:
    if not pixmap.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path
