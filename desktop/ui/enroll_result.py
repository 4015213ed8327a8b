"""The screen after enrolment: the new card, its QR to scan right away, print or PDF.

The customer can photograph or scan the on-screen QR at once, so the dialog is useful
even with no printer. Saving and printing draw the same ``render_card`` layout.
"""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui import card_print
from desktop.ui.card_print import CardLayout
from desktop.ui.qr_image import qr_image

OFFLINE_NOTE = (
    "Made while offline: the card works now; it will be synced when the till is back online."
)
BUTTON_HEIGHT = 56
STYLE = """
QLabel#new_customer { font-size: 34px; font-weight: 700; }
QLabel#new_program { font-size: 20px; }
QLabel#new_number { font-size: 30px; font-weight: 700; font-family: monospace; }
QLabel#offline_note { font-size: 18px; background: #fff4d6; color: #5c4300;
    border: 1px solid #e0b84c; border-radius: 6px; padding: 10px; }
QPushButton { font-size: 18px; }
"""
QR_MODULE_PX = 10


class EnrollResultDialog(QDialog):
    """Shows the card just created. Enter or Esc closes it (the card exists either way).

    Ctrl+P prints, Ctrl+S saves a card-sized PDF, F9 shows the Add to wallet QR (when
    ``add_to_wallet`` is given). Override ``ask_pdf_path`` to choose the file without a
    file dialog.
    """

    def __init__(
        self,
        layout: CardLayout,
        offline: bool,
        parent: QWidget | None = None,
        add_to_wallet: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.card = layout
        self.setWindowTitle("Card created")  # said once: the heading is the customer
        self.setMinimumWidth(820)
        # Sizes by style sheet, not setFont: the till window's sheet ("QWidget {
        # font-size: 16px }") is inherited and wins over a font set on the label.
        self.setStyleSheet(STYLE)

        self.customer_label = QLabel(layout.customer)
        self.customer_label.setObjectName("new_customer")
        program = QLabel(layout.program_name)
        program.setObjectName("new_program")
        for label in (self.customer_label, program):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.number_label = QLabel(layout.display_number)
        self.number_label.setObjectName("new_number")
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.offline_note = QLabel(OFFLINE_NOTE)
        self.offline_note.setWordWrap(True)
        self.offline_note.setObjectName("offline_note")
        self.offline_note.setVisible(offline)

        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)

        self.qr_label = QLabel()
        self.qr_label.setPixmap(QPixmap.fromImage(qr_image(layout.qr_payload, QR_MODULE_PX)))
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_label.setToolTip(layout.qr_payload)

        details = QVBoxLayout()
        details.addWidget(self.customer_label)
        details.addWidget(program)
        details.addSpacing(12)
        details.addWidget(QLabel("Card number"))
        details.addWidget(self.number_label)
        details.addWidget(self.offline_note)
        details.addStretch(1)
        details.addWidget(self.status_label)

        body = QGridLayout()
        body.addLayout(details, 0, 0)
        body.addWidget(self.qr_label, 0, 1)
        body.setColumnStretch(0, 1)

        self.print_button = _button("Print…", "Print the card (Ctrl+P)")
        self.save_button = _button("Save as PDF…", "Save the card as a PDF (Ctrl+S)")
        self.done_button = _button("Done", "Close (Enter or Esc)")
        self.done_button.setDefault(True)
        self.print_button.clicked.connect(self.print_card)
        self.save_button.clicked.connect(self.save_pdf)
        self.done_button.clicked.connect(self.accept)

        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        self.wallet_button = _button("Add to wallet  [F9]", "Show the phone wallet QR (F9)")
        self.wallet_button.setVisible(add_to_wallet is not None)
        if add_to_wallet is not None:
            self.wallet_button.clicked.connect(add_to_wallet)
            QShortcut(QKeySequence("F9"), self, add_to_wallet)
        buttons.addWidget(self.wallet_button)
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)

        root = QVBoxLayout(self)
        root.addLayout(body)
        root.addLayout(buttons)

        QShortcut(QKeySequence("Ctrl+P"), self, self.print_card)
        QShortcut(QKeySequence("Ctrl+S"), self, self.save_pdf)
        self.done_button.setFocus()

    def default_pdf_path(self) -> Path:
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        return Path(documents or Path.home()) / self.card.pdf_file_name

    def ask_pdf_path(self) -> Path | None:
        """Where to save the PDF, or None when cancelled. Tests override this."""
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save card as PDF", str(self.default_pdf_path()), "PDF files (*.pdf)"
        )
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")

    def save_pdf(self) -> None:
        path = self.ask_pdf_path()
        if path is None:
            return
        try:
            card_print.save_card_pdf(self.card, path)
        except OSError as exc:
            self.status_label.setText(f"Could not save the PDF: {exc}")
            return
        self.status_label.setText(f"Saved to {path}")

    def print_card(self) -> None:
        try:
            printed = card_print.print_card(self.card, self)
        except OSError as exc:
            self.status_label.setText(f"Could not print: {exc}")
            return
        if printed:
            self.status_label.setText("Sent to the printer.")


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setMinimumHeight(BUTTON_HEIGHT)
    button.setMinimumWidth(160)
    button.setToolTip(tip)
    button.setAutoDefault(False)
    return button
