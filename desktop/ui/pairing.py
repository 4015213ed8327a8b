"""First run: the server address and the one-time code the owner issued. Wrong
address, expired code and no network each get their own message."""

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.engine.server_address import refusal
from desktop.engine.sync_client import PairingFailed
from desktop.engine.terminal import Terminal
from desktop.ui.background import Background
from desktop.ui.fit import fit_line_edit
from desktop.ui.style import big_button


class PairingDialog(QDialog):
    def __init__(
        self,
        terminal: Terminal,
        background: Background | None = None,
        server_url: str = "",
        code: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pair this till")
        self.terminal = terminal
        self.background = background or Background(self)
        intro = QLabel(
            "Ask the shop owner for a pairing code (owner area → Terminals, or "
            "on the server: loyalty-server pairing-code). Codes are valid 15 minutes and "
            "work once."
        )
        intro.setWordWrap(True)
        self.url = QLineEdit(server_url or "http://127.0.0.1:8000")
        self.code = QLineEdit(code)
        self.code.setPlaceholderText("ABCDE-FGHJK")
        self.name = QLineEdit("Front till")
        form = QFormLayout()
        form.addRow("Server address", self.url)
        form.addRow("Pairing code", self.code)
        form.addRow("Till name", self.name)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        self.pair_button = big_button("Pair")
        self.pair_button.setDefault(True)
        self.pair_button.clicked.connect(self.pair)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.pair_button)
        fit_line_edit(self.url, "https://loyalty.example-shop.com")
        fit_line_edit(self.code, "ABCDE-FGHJK")
        self.setMinimumWidth(520)

    def pair(self) -> None:
        url, code = self.url.text().strip(), self.code.text().strip().upper()
        refused = refusal(url, self.terminal.client.allow_insecure_http)
        if refused is not None:
            self.message.setText(refused)
            return
        if not code:
            self.message.setText("Enter the pairing code.")
            return
        self.pair_button.setEnabled(False)
        self.message.setText("Pairing…")
        name = self.name.text().strip() or "Till"
        self.background.run(
            lambda: self.terminal.client.pair(url, code, name),
            lambda _: self.accept(),
            self._failed,
        )

    def _failed(self, exc: Exception) -> None:
        self.pair_button.setEnabled(True)
        if isinstance(exc, PairingFailed):
            self.message.setText(str(exc))
        else:
            self.message.setText(f"Pairing failed: {exc}")
