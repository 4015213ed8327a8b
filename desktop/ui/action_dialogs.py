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
from common.money import DEFAULT_CURRENCY, cents_per_step, format_amount, symbol
from common.operations import CustomerDetails, EarnPoints, RedeemPoints, VoidPoints, VoidStamps
from common.program import ProgramRules, Reward
from desktop.engine.history import HistoryItem
from desktop.ui.fit import fit_line_edit, fit_list
from desktop.ui.style import big_button
from desktop.ui.wording import store_date_time

MAX_CENTS = 100_000_000
EMAIL_ROOM = "firstname.lastname@example-shop.com"  # what the email field shows whole


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
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setDefault(True)  # Enter means OK, whichever field has the focus

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


class _AmountField(QLineEdit):
    """The amount as the keypad makes it. It has the focus first, so digits typed
    (or a numeric keypad) build the amount at once; Backspace takes the last digit,
    Delete clears. Everything else (Tab, Enter, Esc) is the dialog's."""

    def __init__(self, press: Callable[[str], None]) -> None:
        super().__init__()
        self._press = press
        self.setReadOnly(True)
        self.setObjectName("amount")
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.setAccessibleName("Amount")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.text().isdigit():
            self._press(event.text())
        elif event.key() == Qt.Key.Key_Backspace:
            self._press("⌫")
        elif event.key() == Qt.Key.Key_Delete:
            self._press("C")
        else:
            super().keyPressEvent(event)


def _whose(who: str) -> QLabel:
    label = QLabel(who)
    label.setObjectName("whose_card")
    label.setWordWrap(True)
    label.setVisible(bool(who))
    return label


class EarnDialog(_Form):
    """The amount on a keypad (digits enter cents: 1, 2, 5, 0 → 12.50; whole units in a
    currency without cents) or typed. The focus starts in the amount; Tab goes to the
    order reference, then OK. The keypad takes no focus and is never a default button:
    Enter always means OK (a focused "1" would otherwise take it, as in the PIN pad)."""

    def __init__(
        self,
        card_number: str,
        rules: ProgramRules,
        parent: QWidget | None = None,
        currency: str = DEFAULT_CURRENCY,
        who: str = "",
    ):
        super().__init__("Earn points", parent)
        self.card_number, self.rules, self.currency_code = card_number, rules, currency
        self.cents = 0
        self.step = cents_per_step(currency)
        self.who = _whose(who)
        self.amount = _AmountField(self.press)
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
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the amount keeps the focus
            button.clicked.connect(lambda _=False, k=key: self._key(k))
            keypad.addWidget(button, index // 3, index % 3)
        amount_row = QHBoxLayout()
        amount_row.addWidget(self.currency)
        amount_row.addWidget(self.amount, 1)
        self.layout_.addWidget(self.who)
        self.layout_.addLayout(amount_row)
        self.layout_.addWidget(self.preview)
        self.layout_.addLayout(keypad)
        self.layout_.addWidget(self.order)
        self.finish()
        fit_line_edit(self.order)
        QWidget.setTabOrder(self.amount, self.order)
        QWidget.setTabOrder(self.order, self.ok)
        self._render()
        self.amount.setFocus()

    def press(self, key: str) -> None:
        units = self.cents // self.step
        if key == "C":
            units = 0
        elif key == "⌫":
            units //= 10
        elif (units * 10 + int(key)) * self.step <= MAX_CENTS:
            units = units * 10 + int(key)
        self.cents = units * self.step
        self._render()

    def _key(self, key: str) -> None:
        """A keypad button: the amount again has the focus, as after a typed digit."""
        self.press(key)
        self.amount.setFocus()

    def keyPressEvent(self, event: object) -> None:
        """Digits typed while OK or Cancel has the focus still build the amount."""
        assert isinstance(event, QKeyEvent)
        if event.text().isdigit() and not self.order.hasFocus():
            self.press(event.text())
        elif event.key() == Qt.Key.Key_Backspace and not self.order.hasFocus():
            self.press("⌫")
        else:
            super().keyPressEvent(event)

    def _render(self) -> None:
        self.amount.setText(format_amount(self.cents, self.currency_code))
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
    """Every active reward with its cost, cheapest first: those the balance covers can
    be picked (the first is), the others are greyed with the points still missing."""

    def __init__(
        self,
        card_number: str,
        catalog: tuple[Reward, ...],
        balance: int,
        parent: QWidget | None = None,
        who: str = "",
    ):
        super().__init__("Redeem a reward", parent)
        self.card_number = card_number
        self.who = _whose(who)
        self.list = QListWidget()
        rewards = sorted((r for r in catalog if r.is_active), key=lambda r: r.points_required)
        for reward in rewards:
            missing = reward.points_required - balance
            text = f"{reward.name}  ·  {reward.points_required} points"
            item = QListWidgetItem(f"{text}  ·  {missing} more needed" if missing > 0 else text)
            item.setData(Qt.ItemDataRole.UserRole, reward.id)
            if missing > 0:
                item.setFlags(Qt.ItemFlag.NoItemFlags)  # shown, greyed, not selectable
            self.list.addItem(item)
        affordable = [i for i, r in enumerate(rewards) if r.points_required <= balance]
        if affordable:
            self.list.setCurrentRow(affordable[0])
        self.empty = QLabel("" if rewards else "The program has no rewards.")
        self.list.itemDoubleClicked.connect(lambda _item: self.try_accept())
        self.layout_.addWidget(self.who)
        self.layout_.addWidget(self.list)
        self.layout_.addWidget(self.empty)
        self.empty.setVisible(not rewards)
        self.finish()
        fit_list(self.list)
        self.list.setFocus()

    def collect(self) -> str | None:
        item = self.list.currentItem()
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return "Pick a reward the card has enough points for."
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
        self.email.setPlaceholderText("name@example.com")
        self.name = QLineEdit()
        self.phone = QLineEdit()
        form.addRow("Email", self.email)
        form.addRow("Name", self.name)
        form.addRow("Phone", self.phone)
        self.layout_.addLayout(form)
        self.finish()
        # As wide as a long address: a narrow field showed ".roux@example.com".
        fit_line_edit(self.email, EMAIL_ROOM)

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
            f"Deactivate {customer}'s card?\n"
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
