"""Correct a card's points by hand, with a reason the ledger keeps (owner only)."""

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.engine.manager_api import Adjustment, CardSummary, ManagerApi
from desktop.ui.background import Background
from desktop.ui.manager import ManagerTab

# Wide on purpose: the bound (±100000) is the rule's to enforce and to explain.
SPIN_LIMIT = 10_000_000


class AdjustTab(ManagerTab):
    """Find the card first (number, email or name), then adjust it."""

    def __init__(
        self, api: ManagerApi, background: Background, parent: QWidget | None = None
    ) -> None:
        super().__init__(api, background, parent)
        self.card: CardSummary | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Card number, customer email or name")
        self.search.returnPressed.connect(self.find_card)
        self.find_button = QPushButton("Find")
        self.find_button.clicked.connect(self.find_card)
        self.card_label = QLabel("No card chosen.")
        self.card_label.setWordWrap(True)
        self.delta = QSpinBox()
        self.delta.setRange(-SPIN_LIMIT, SPIN_LIMIT)
        self.delta.setSuffix(" points")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why (kept in the card's history)")
        self.reason.setMaxLength(500)
        self.reason.returnPressed.connect(self.apply)
        self.apply_button = QPushButton("Adjust points (Ctrl+Enter)")
        self.apply_button.setShortcut("Ctrl+Return")
        self.apply_button.clicked.connect(self.apply)

        search = QHBoxLayout()
        search.addWidget(self.search, 1)
        search.addWidget(self.find_button)
        form = QFormLayout()
        form.addRow("Change by", self.delta)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(search)
        layout.addWidget(self.card_label)
        layout.addLayout(form)
        layout.addWidget(self.apply_button)
        layout.addStretch(1)

    def find_card(self) -> None:
        query = self.search.text().strip()
        if not query:
            self.failed.emit("Type a card number, an email or a name.")
            return
        self.call(lambda: self.api.find_card(query), self._show_card)

    def apply(self) -> None:
        card = self.card
        if card is None:
            self.failed.emit("Find the card first.")
            return
        delta, reason = self.delta.value(), self.reason.text()
        self.call(lambda: self.api.adjust_points(card.card_number, delta, reason), self._adjusted)

    def _show_card(self, card: CardSummary) -> None:
        self.card = card
        who = card.customer_name or card.customer_email
        state = "" if card.is_active else " (deactivated)"
        self.card_label.setText(
            f"{who} — card {card.card_number}{state} · points {card.points_balance:,} · "
            f"stamps {card.stamp_count}"
        )

    def _adjusted(self, adjustment: Adjustment) -> None:
        self.reason.clear()
        self.delta.setValue(0)
        self.succeeded.emit(
            f"Adjusted by {adjustment.points_delta:+,} points; "
            f"the balance is now {adjustment.points_balance:,}."
        )
        self.call(lambda: self.api.find_card(adjustment.card_number), self._show_card)
