"""The loyalty program and the PIN lockout settings, edited as one form (owner only).

Fields accept wide ranges: the server applies the program's bounds and its message
names the field it refused. Balances already earned are never rescaled by a change.
"""

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.money import DEFAULT_CURRENCY
from common.program import LoyaltyType, Reward
from common.staff_session import MAX_SESSION_MINUTES
from desktop.engine.manager_api import LockoutSettings, ManagerApi, Program
from desktop.ui.background import Background
from desktop.ui.manager import AllRowsTable, ManagerTab

TEXTS = (("display_name", "Program name"), ("stamps_reward_description", "Stamp card reward"))
NUMBERS = (
    ("stamps_target", "Stamps for the reward"),
    ("cooldown_minutes", "Minutes between stamps"),
    ("max_daily_stamps", "Stamps per card per day"),
    ("points_per_currency_unit", "Points per currency unit"),
    ("welcome_bonus_points", "Welcome bonus (points)"),
)
FLAGS = (("require_staff_pin", "A staff PIN confirms each operation"), ("is_active", "Active"))
REWARD_COLUMNS = ("ID", "Name", "Points", "Active")
DEFAULT = "Server default"


class ProgramTab(ManagerTab):
    def __init__(
        self, api: ManagerApi, background: Background, parent: QWidget | None = None
    ) -> None:
        super().__init__(api, background, parent)
        self.loyalty_type = QComboBox()
        for kind in LoyaltyType:
            self.loyalty_type.addItem(kind.value.capitalize(), kind.value)
        self.texts = {name: QLineEdit() for name, _ in TEXTS}
        self.numbers = {name: _spin(0, 10_000_000) for name, _ in NUMBERS}
        self.flags = {name: QCheckBox(label) for name, label in FLAGS}
        self.rewards = AllRowsTable(0, len(REWARD_COLUMNS))
        self.rewards.setHorizontalHeaderLabels(REWARD_COLUMNS)
        self.rewards.verticalHeader().setDefaultSectionSize(48)
        self.rewards.horizontalHeader().setStretchLastSection(True)
        self.lockout_attempts = _spin(0, 1000, DEFAULT)
        self.lockout_minutes = _spin(0, 100_000, DEFAULT)
        self.effective = QLabel()
        self.session_minutes = _spin(0, MAX_SESSION_MINUTES, "Ask for the PIN every time")
        self.currency = QLineEdit()
        self.currency.setMaxLength(3)
        self.currency.setPlaceholderText(DEFAULT_CURRENCY)
        self.save_button = QPushButton("Save (Ctrl+S)")
        self.save_button.setEnabled(False)  # until the program is loaded
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        form = QFormLayout()
        form.addRow("Type", self.loyalty_type)
        for name, label in TEXTS:
            form.addRow(label, self.texts[name])
        for name, label in NUMBERS:
            form.addRow(label, self.numbers[name])
        for name, _ in FLAGS:
            form.addRow("", self.flags[name])
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(form)
        layout.addWidget(self._rewards_box())
        layout.addWidget(self._lockout_box())
        layout.addWidget(self._till_box())
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.save_button)

    def _rewards_box(self) -> QGroupBox:
        box = QGroupBox("Point rewards")
        add, remove = QPushButton("Add reward"), QPushButton("Remove reward")
        add.clicked.connect(lambda: self._add_reward(Reward("", "", 1)))
        remove.clicked.connect(lambda: self.rewards.removeRow(self.rewards.currentRow()))
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(self.rewards)
        layout.addLayout(buttons)
        return box

    def _lockout_box(self) -> QGroupBox:
        box = QGroupBox("Staff PIN lockout")
        layout = QFormLayout(box)
        layout.addRow("Wrong entries before locking", self.lockout_attempts)
        layout.addRow("Minutes locked", self.lockout_minutes)
        layout.addRow("In force", self.effective)
        return box

    def _till_box(self) -> QGroupBox:
        box = QGroupBox("At the till")
        layout = QFormLayout(box)
        layout.addRow("Cashier stays signed in (minutes of activity)", self.session_minutes)
        layout.addRow("Currency (ISO 4217 code)", self.currency)
        return box

    def refresh(self) -> None:
        self.call(lambda: (self.api.program(), self.api.settings()), self._show)

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        try:
            rewards = self.reward_values()
        except ValueError as exc:
            self.failed.emit(str(exc))
            return
        changes = self.program_values() | {"points_rewards": rewards}
        attempts = self.lockout_attempts.value() or None
        minutes = self.lockout_minutes.value() or None
        self.call(
            lambda: (
                self.api.update_program(**changes),
                self.api.update_settings(
                    attempts,
                    minutes,
                    staff_session_minutes=self.session_minutes.value(),
                    currency=self.currency.text().strip().upper() or None,
                ),
            ),
            self._show,
            "The program is saved.",
        )

    def program_values(self) -> dict[str, object]:
        values: dict[str, object] = {"loyalty_type": self.loyalty_type.currentData()}
        values |= {name: edit.text().strip() for name, edit in self.texts.items()}
        values |= {name: spin.value() for name, spin in self.numbers.items()}
        values |= {name: box.isChecked() for name, box in self.flags.items()}
        return values

    def reward_values(self) -> list[Reward]:
        rewards = []
        for row in range(self.rewards.rowCount()):
            reward_id, name, points = (self._cell(row, column) for column in range(3))
            if not points.isdigit():
                raise ValueError(f"Reward “{name or reward_id}”: points must be a whole number.")
            active = self.rewards.item(row, 3)
            checked = active is not None and active.checkState() == Qt.CheckState.Checked
            rewards.append(Reward(reward_id, name, int(points), checked))
        return rewards

    def _cell(self, row: int, column: int) -> str:
        item = self.rewards.item(row, column)
        return item.text().strip() if item is not None else ""

    def _show(self, loaded: tuple[Program, LockoutSettings]) -> None:
        program, settings = loaded
        self.save_button.setEnabled(True)
        self.loyalty_type.setCurrentIndex(self.loyalty_type.findData(program.loyalty_type))
        for name, edit in self.texts.items():
            edit.setText(getattr(program, name))
        for name, spin in self.numbers.items():
            spin.setValue(getattr(program, name))
        for name, box in self.flags.items():
            box.setChecked(getattr(program, name))
        self.rewards.setRowCount(0)
        for reward in program.points_rewards:
            self._add_reward(reward)
        self.lockout_attempts.setValue(settings.pin_lockout_attempts or 0)
        self.lockout_minutes.setValue(settings.pin_lockout_minutes or 0)
        self.effective.setText(
            f"{settings.effective_pin_lockout_attempts} wrong entries lock a PIN for "
            f"{settings.effective_pin_lockout_minutes} minutes"
        )
        self.session_minutes.setValue(settings.effective_staff_session_minutes)
        self.currency.setText(settings.currency or "")

    def _add_reward(self, reward: Reward) -> None:
        row = self.rewards.rowCount()
        self.rewards.insertRow(row)
        for column, text in enumerate((reward.id, reward.name, str(reward.points_required))):
            self.rewards.setItem(row, column, QTableWidgetItem(text))
        active = QTableWidgetItem()
        active.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        active.setCheckState(Qt.CheckState.Checked if reward.is_active else Qt.CheckState.Unchecked)
        self.rewards.setItem(row, 3, active)


def _spin(low: int, high: int, special: str | None = None) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    if special:
        spin.setSpecialValueText(special)  # shown at the minimum, which means None
    return spin
