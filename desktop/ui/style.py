"""Sizes and colours for a till read at arm's length and used with a finger."""

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPushButton, QWidget

TOUCH_HEIGHT = 56
OK_COLOUR = "#1b7f3b"
ERROR_COLOUR = "#b3261e"
WARN_COLOUR = "#8a5a00"

STYLESHEET = f"""
QWidget {{ font-size: 16px; }}
QPushButton {{ min-height: {TOUCH_HEIGHT}px; padding: 0 18px; font-size: 18px; }}
QLineEdit {{ min-height: 44px; font-size: 20px; }}
QListWidget::item {{ min-height: 44px; }}
QLabel#title {{ font-size: 26px; font-weight: 600; }}
QLineEdit#amount {{ min-height: 52px; font-size: 30px; font-weight: 600; }}
QLabel#whose_card {{ font-size: 22px; font-weight: 600; }}
QLabel#card_name {{ font-size: 34px; font-weight: 700; }}
QLabel#balance {{ font-size: 34px; font-weight: 700; }}
QLabel#stamps_line {{ font-size: 22px; }}
QLabel#rewards_line {{ font-size: 20px; }}
QLabel#banner_ok {{ background: {OK_COLOUR}; color: white; padding: 10px; font-size: 20px; }}
QLabel#banner_error {{ background: {ERROR_COLOUR}; color: white; padding: 10px; font-size: 20px; }}
QLabel#banner_warn {{ background: {WARN_COLOUR}; color: white; padding: 10px; font-size: 20px; }}
"""


def big_button(text: str, parent: QWidget | None = None) -> QPushButton:
    button = QPushButton(text, parent)
    button.setMinimumHeight(TOUCH_HEIGHT)
    return button


def title_font(size: int = 26) -> QFont:
    font = QFont()
    font.setPointSize(size)
    font.setBold(True)
    return font
