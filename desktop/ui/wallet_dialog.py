"""Add to wallet: the card's link from the server, shown as a QR the customer scans with
their phone, with what to do and until when it works; or, offline or with wallets off,
a sentence instead of a QR.

The link is asked for in the background when the dialog opens; the dialog shows
"Asking the server…" meanwhile and never waits on the UI thread."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.engine.wallet_link import NoWalletLink, WalletLink
from desktop.ui.background import Background
from desktop.ui.placement import available_area, fit_on_screen
from desktop.ui.qr_image import qr_image
from desktop.ui.wording import local_time

SCAN_LINE = "Scan with your phone's camera to add the card to Apple Wallet or Google Wallet."
ASKING = "Asking the server for the card's wallet link…"
QR_MODULE_PX = 8
# The dialog's lines, button and margins beside the QR, and the smallest module a phone
# still reads from an arm's length off a till's screen.
AROUND_QR_PX = 300
MIN_MODULE_PX = 3
STYLE = """
QLabel#wallet_customer { font-size: 28px; font-weight: 700; }
QLabel#wallet_scan { font-size: 20px; }
QLabel#wallet_refused { font-size: 18px; background: #fff4d6; color: #5c4300;
    border: 1px solid #e0b84c; border-radius: 6px; padding: 10px; }
QPushButton { font-size: 18px; }
"""


class WalletDialog(QDialog):
    """Enter or Esc closes it. ``fetch`` is the engine's blocking call for this card."""

    def __init__(
        self,
        customer: str,
        fetch: Callable[[], WalletLink | NoWalletLink],
        background: Background,
        zone: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.zone = zone
        self.answer: WalletLink | NoWalletLink | None = None
        self._gone = False  # closed before the answer came: nothing left to draw on
        self.finished.connect(self._closed)
        self.setWindowTitle("Add to wallet")
        self.setMinimumWidth(560)
        self.setStyleSheet(STYLE)

        heading = QLabel(customer or "Add the card to a phone's wallet")
        heading.setObjectName("wallet_customer")
        heading.setWordWrap(True)
        self.status_label = QLabel(ASKING)
        self.status_label.setWordWrap(True)
        self.qr_label = QLabel()
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_label.hide()
        self.scan_label = QLabel(SCAN_LINE)
        self.scan_label.setObjectName("wallet_scan")
        self.scan_label.setWordWrap(True)
        self.scan_label.hide()
        self.expiry_label = QLabel()
        self.expiry_label.setWordWrap(True)
        self.expiry_label.hide()
        self.done_button = QPushButton("Done")
        self.done_button.setMinimumHeight(56)
        self.done_button.setMinimumWidth(160)
        self.done_button.setToolTip("Close (Enter or Esc)")
        self.done_button.setDefault(True)
        self.done_button.clicked.connect(self.accept)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        root = QVBoxLayout(self)
        root.addWidget(heading)
        root.addWidget(self.status_label)
        root.addWidget(self.qr_label)
        root.addWidget(self.scan_label)
        root.addWidget(self.expiry_label)
        root.addLayout(buttons)
        self.done_button.setFocus()
        background.run(fetch, self.show_answer, self._failed)

    def show_answer(self, answer: WalletLink | NoWalletLink) -> None:
        if self._gone:
            return
        self.answer = answer
        if isinstance(answer, NoWalletLink):
            self._refused(answer.message)
            return
        self.status_label.hide()
        self.qr_label.setPixmap(QPixmap.fromImage(self._qr(answer.url)))
        self.qr_label.setToolTip(answer.url)
        self.qr_label.show()
        self.scan_label.show()
        until = local_time(answer.expires_at, self.zone)
        self.expiry_label.setText(
            f"The link works until {until}; after that, press Add to wallet again."
        )
        self.expiry_label.show()
        self._fit()

    def _qr(self, url: str) -> QImage:
        """As large as QR_MODULE_PX makes it, smaller where the screen is short: on a
        1280x800 till the whole dialog, its Done button included, stays on the screen."""
        image = qr_image(url, QR_MODULE_PX)
        room = available_area(self).height() - AROUND_QR_PX
        if image.height() <= room:
            return image
        modules = image.height() // QR_MODULE_PX
        return qr_image(url, max(MIN_MODULE_PX, room // modules))

    def _fit(self) -> None:
        self.adjustSize()
        fit_on_screen(self, self.sizeHint())

    def _failed(self, exc: Exception) -> None:
        if not self._gone:
            self._refused(f"Something went wrong in the till ({type(exc).__name__}).")

    def _refused(self, message: str) -> None:
        self.status_label.setObjectName("wallet_refused")
        self.status_label.style().unpolish(self.status_label)  # restyle by its new name
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(message)
        self._fit()  # a wrapped sentence of three lines was cut to the first two

    def _closed(self, _code: int) -> None:
        self._gone = True
