"""Windows sized and placed to fit the screen they open on: a till's screen is often
1280x800 or smaller, and a window taller than the screen hides its bottom (the status
bar, the Save button) where no one can reach it."""

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# What the window manager adds around a window (title bar, borders) before the window
# is shown and its real frame is known: generous, so the frame never leaves the screen.
FRAME = QSize(16, 48)


def available_area(window: QWidget) -> QRect:
    """The part of the window's screen (or the primary one) not taken by task bars."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_on_screen(window: QWidget, wanted: QSize, area: QRect | None = None) -> None:
    """Resize ``window`` to ``wanted``, no larger than ``area`` (the screen's available
    geometry) less the frame, never below its minimum size hint, and centre it there."""
    area = available_area(window) if area is None else area
    room = area.size() - FRAME
    floor = window.minimumSizeHint()
    width = max(min(wanted.width(), room.width()), floor.width())
    height = max(min(wanted.height(), room.height()), floor.height())
    window.resize(width, height)
    left = area.left() + max(0, (area.width() - width - FRAME.width()) // 2)
    top = area.top() + max(0, (area.height() - height - FRAME.height()) // 2)
    window.move(left, top)
