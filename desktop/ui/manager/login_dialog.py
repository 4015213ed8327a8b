"""Owner or store manager login for the manager area (needs the network).

The password goes to the server once, off the UI thread, and the field is cleared
whatever the answer; a refusal is shown inline, in the server's words.

Enter means "Log in" (the one default button): after the email it moves on to the
password, after the password it logs in. While the request runs the fields are only
read-only, so the focus stays in them: a disabled field would hand it to Cancel, which
Qt then made the default button, and the same Enter closed the dialog.
"""

import httpx
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.engine.manager_api import ManagerApi, error_message
from desktop.ui.background import Background
from desktop.ui.manager import TOUCH_STYLE


class ManagerLoginDialog(QDialog):
    """Accepted once logged in; ``api`` then holds the session.

    Signals:
        logged_in(ManagerApi): the login succeeded.
    """

    logged_in = Signal(object)

    def __init__(
        self,
        base_url: str,
        store_id: int | None,
        parent: QWidget | None = None,
        transport: httpx.BaseTransport | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        super().__init__(parent)
        self.base_url = base_url
        self.allow_insecure_http = allow_insecure_http
        self.store_id = store_id
        self.transport = transport
        self.api: ManagerApi | None = None
        self.background = Background(self)
        self.setWindowTitle("Manager login")
        self.setStyleSheet(TOUCH_STYLE)
        self.setMinimumWidth(420)

        self.email = QLineEdit()
        self.email.setPlaceholderText("owner@example.com")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setObjectName("message")
        self.error.setProperty("kind", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.login_button = QPushButton("Log in")
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self.log_in)
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)

        form = QFormLayout()
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.login_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The manager area needs the network."))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._closed = False  # an answer after Esc is dropped
        self.email.setFocus()

    def log_in(self) -> None:
        """Log in, or Enter: with an email and no password yet, go on to the password."""
        email, password = self.email.text().strip(), self.password.text()
        if email and not password and self.focusWidget() is self.email:
            self.password.setFocus()
            return
        if not email or not password:
            self._show_error("Type your email and password.")
            (self.password if email else self.email).setFocus()
            return
        self.password.clear()
        self._busy(True)
        base_url, store_id, transport = self.base_url, self.store_id, self.transport
        insecure = self.allow_insecure_http
        self.background.run(
            lambda: ManagerApi.login(
                base_url, email, password, store_id, transport, allow_insecure_http=insecure
            ),
            self._logged_in,
            self._refused,
        )

    def done(self, result: int) -> None:
        self._closed = True
        super().done(result)

    def _logged_in(self, api: ManagerApi) -> None:
        if self._closed:
            api.close()
            return
        self.api = api
        self._busy(False)
        self.logged_in.emit(api)
        self.accept()

    def _refused(self, exc: Exception) -> None:
        if self._closed:
            return
        self._busy(False)
        self._show_error(error_message(exc))
        self.password.setFocus()

    def _busy(self, busy: bool) -> None:
        self.login_button.setEnabled(not busy)
        self.login_button.setText("Logging in…" if busy else "Log in")
        self.email.setReadOnly(busy)
        self.password.setReadOnly(busy)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
