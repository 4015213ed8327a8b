"""What an action needs before the PIN: an amount, a reward, what to void, who to
enroll. Each dialog only collects input and builds the operation; rules stay in the
engine, which decides after the PIN."""

from collections.abc import Callable

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.ledger import TransactionType
from common.money import DEFAULT_CURRENCY, symbol
from common.operations import CustomerDetails, EarnPoints, RedeemPoints, VoidPoints, VoidStamps
from common.program import ProgramRules, Reward
from desktop.engine.history import HistoryItem
from desktop.ui.fit import fit_line_edit, fit_list
from desktop.ui.style import big_button
from desktop.ui.wording import store_date_time

MAX_CENTS = 100_000_000


class _Form(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        for button in self.buttons.buttons():
            button.setMinimumHeight(56)

    def finish(self) -> None:
        self.layout_.addWidget(self.error)
        self.layout_.addWidget(self.buttons)

    # Each dialog reads its fields into ``op`` (or ``customer``) and returns what is
    # wrong in words, or None when the input is complete.
    collect: Callable[[], str | None]
    # What the PIN will confirm, when the dialog knows better than the operation does.
    what: str | None = None

    def try_accept(self) -> None:
        problem = self.collect()
        if problem is None:
            self.accept()
        else:
            self.error.setText(problem)


class EarnDialog(_Form):
    """The amount on a keypad (digits enter cents: 1, 2, 5, 0 → 12.50) or typed."""

    def __init__(
        self,
        card_number: str,
        rules: ProgramRules,
        parent: QWidget | None = None,
        currency: str = DEFAULT_CURRENCY,
    ):
        super().__init__("Earn points", parent)
        self.card_number, self.rules, self.currency_code = card_number, rules, currency
        self.cents = 0
        self.amount = QLabel()
        self.amount.setObjectName("title")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        # The store's currency beside the digits: "€ 12.50" reads as the till's display.
        self.currency = QLabel(symbol(currency))
        self.currency.setObjectName("title")
        self.currency.setToolTip(currency)
        self.preview = QLabel()
        self.order = QLineEdit()
        self.order.setPlaceholderText("Order / receipt number (optional)")
        self.order.setMaxLength(100)
        keypad = QGridLayout()
        for index, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "⌫"]):
            button = big_button(key)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            keypad.addWidget(button, index // 3, index % 3)
        amount_row = QHBoxLayout()
        amount_row.addWidget(self.currency)
        amount_row.addWidget(self.amount, 1)
        self.layout_.addLayout(amount_row)
        self.layout_.addWidget(self.preview)
        self.layout_.addLayout(keypad)
        self.layout_.addWidget(self.order)
        self.finish()
        fit_line_edit(self.order)
        self._render()

    def press(self, key: str) -> None:
        if key == "C":
            self.cents = 0
        elif key == "⌫":
            self.cents //= 10
        elif self.cents * 10 + int(key) <= MAX_CENTS:
            self.cents = self.cents * 10 + int(key)
        self._render()

    def keyPressEvent(self, event: object) -> None:

        assert isinstance(event, QKeyEvent)
        if event.text().isdigit() and not self.order.hasFocus():
            self.press(event.text())
        elif event.key() == Qt.Key.Key_Backspace and not self.order.hasFocus():
            self.press("⌫")
        else:
            super().keyPressEvent(event)

    def _render(self) -> None:
        self.amount.setText(f"{self.cents // 100}.{self.cents % 100:02d}")
        self.preview.setText(f"Earns {self.rules.points_for(self.cents)} points")

    def collect(self) -> str | None:
        try:
            self.op = EarnPoints(
                card_number=self.card_number,
                purchase_amount_cents=self.cents,
                order_reference=self.order.text().strip() or None,
            )
        except ValidationError:
            return "Enter the amount of the purchase."
        return None


class RewardDialog(_Form):
    def __init__(
        self, card_number: str, rewards: tuple[Reward, ...], parent: QWidget | None = None
    ):
        super().__init__("Redeem a reward", parent)
        self.card_number = card_number
        self.list = QListWidget()
        for reward in rewards:
            item = QListWidgetItem(f"{reward.name} — {reward.points_required} points")
            item.setData(Qt.ItemDataRole.UserRole, reward.id)
            self.list.addItem(item)
        if rewards:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.try_accept())
        self.layout_.addWidget(self.list)
        self.finish()

    def collect(self) -> str | None:
        item = self.list.currentItem()
        if item is None:
            return "Pick a reward."
        self.op = RedeemPoints(
            card_number=self.card_number, reward_id=str(item.data(Qt.ItemDataRole.UserRole))
        )
        return None


class VoidDialog(_Form):
    """Pick a recent earn of this card, or give the order reference of the sale."""

    def __init__(
        self,
        card_number: str,
        history: list[HistoryItem],
        parent: QWidget | None = None,
        zone: str = "UTC",
    ):
        super().__init__("Void", parent)
        self.card_number = card_number
        self.zone = zone  # the store's: times on its clock
        self.list = QListWidget()
        for item in history:
            if item.kind not in (TransactionType.STAMP_EARNED, TransactionType.POINTS_EARNED):
                continue
            if item.transaction_id is None and not item.order_reference:
                continue  # an unsynced stamp: void by count after it syncs
            row = QListWidgetItem(_describe(item, zone))
            row.setData(Qt.ItemDataRole.UserRole, item)
            self.list.addItem(row)
        self.order = QLineEdit()
        self.order.setPlaceholderText("…or the order / receipt number of the sale")
        self.layout_.addWidget(QLabel("Recent earns on this card:"))
        self.layout_.addWidget(self.list)
        self.layout_.addWidget(self.order)
        self.finish()
        fit_list(self.list)
        fit_line_edit(self.order)

    def collect(self) -> str | None:
        ref = self.order.text().strip()
        if ref:
            self.op: VoidPoints | VoidStamps = VoidPoints(
                card_number=self.card_number, order_reference=ref
            )
            return None
        row = self.list.currentItem()
        if row is None:
            return "Pick what to void, or type the order number."
        item: HistoryItem = row.data(Qt.ItemDataRole.UserRole)
        self.what = f"Void {_what_was_earned(item)} of {store_date_time(item.at, self.zone)}"
        if item.kind is TransactionType.STAMP_EARNED:
            assert item.transaction_id is not None
            self.op = VoidStamps(
                card_number=self.card_number, original_transaction_id=item.transaction_id
            )
        elif item.transaction_id is not None:
            self.op = VoidPoints(
                card_number=self.card_number, original_transaction_id=item.transaction_id
            )
        else:
            self.op = VoidPoints(card_number=self.card_number, order_reference=item.order_reference)
        return None


class EnrollDialog(_Form):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("New card", parent)
        form = QFormLayout()
        self.email = QLineEdit()
        self.name = QLineEdit()
        self.phone = QLineEdit()
        form.addRow("Email", self.email)
        form.addRow("Name", self.name)
        form.addRow("Phone", self.phone)
        self.layout_.addLayout(form)
        self.finish()

    def collect(self) -> str | None:
        try:
            self.customer = CustomerDetails(
                email=self.email.text().strip(),
                name=self.name.text().strip() or None,
                phone=self.phone.text().strip() or None,
            )
        except ValidationError as exc:
            field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "email"
            return f"Check the {field}: it does not look right."
        return None


class DeactivateDialog(QDialog):
    """Deactivating stops a card at every store of the merchant: asked once more, by
    name. Cancel is the default button, so Enter (or a scanner's Enter) cancels; only a
    click, Space on the focused button or Alt+D deactivates."""

    def __init__(self, customer: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Deactivate card")
        question = QLabel(
            f"Deactivate the card of {customer}?\n"
            "It will no longer earn or redeem at any store until it is reactivated."
        )
        question.setObjectName("title")
        question.setWordWrap(True)
        self.deactivate = big_button("&Deactivate")
        self.deactivate.setAutoDefault(False)
        self.deactivate.clicked.connect(self.accept)
        self.cancel = big_button("Cancel")
        self.cancel.setDefault(True)
        self.cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.deactivate)
        buttons.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addLayout(buttons)
        self.cancel.setFocus()


def _what_was_earned(item: HistoryItem) -> str:
    if item.kind is TransactionType.STAMP_EARNED:
        return "the stamp"
    return f"+{item.points_delta} points" if item.points_delta else "the points"


def _describe(item: HistoryItem, zone: str) -> str:
    what = "Stamp" if item.kind is TransactionType.STAMP_EARNED else "Points"
    amount = item.points_delta if item.kind is TransactionType.POINTS_EARNED else item.stamps_delta
    parts = [store_date_time(item.at, zone), what]
    if amount:
        parts.append(f"+{amount}")
    if item.order_reference:
        parts.append(f"order {item.order_reference}")
    if item.transaction_id is None:
        parts.append("(not synced yet)")
    return "  ·  ".join(parts)
