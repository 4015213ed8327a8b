"""The card on screen: who, the stamps card, points, what can be taken now, why a stamp
would be refused, and one button per action (each with its keyboard shortcut). Name,
balance and stamps are sized to be read at arm's length (style.py: card_name,
balance, stamps_line), the card number and state smaller.

A result banner belongs to one action on one card: it leaves when another card (or
none) is shown, after ``banner_ms``, or when a later verdict replaces it."""

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.engine.card_view import CardView
from desktop.ui.stamp_card import StampCard
from desktop.ui.style import big_button
from desktop.ui.wording import grouped, local_time

# (action, label, shortcut): the shortcuts work anywhere in the window.
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("stamp", "Add stamp", "F2"),
    ("redeem_stamps", "Redeem stamps", "F3"),
    ("earn", "Earn points", "F4"),
    ("reward", "Redeem reward", "F5"),
    ("void", "Void…", "F6"),
    ("history", "History", "F7"),
    ("toggle_active", "Deactivate", "F8"),
    ("wallet", "Add to wallet", "F9"),
)

BANNER_MS = 8000  # how long a result stays over its card


class CardPanel(QWidget):
    action = Signal(str)

    def __init__(self, parent: QWidget | None = None, banner_ms: int = BANNER_MS) -> None:
        super().__init__(parent)
        self.view: CardView | None = None
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.banner_card: str | None = None  # the card the banner speaks of
        self._banner_timer = QTimer(self)
        self._banner_timer.setSingleShot(True)
        self._banner_timer.setInterval(banner_ms)
        self._banner_timer.timeout.connect(self.clear_result)
        self.title = QLabel("Scan a card, or search by number, email, phone or first name.")
        self.title.setObjectName("title")
        self.title.setWordWrap(True)
        self.number = QLabel()
        self.stamps = StampCard()
        self.stamps_text = QLabel()
        self.stamps_text.setObjectName("stamps_line")
        self.stamps_text.setWordWrap(True)
        self.points = QLabel()
        self.points.setObjectName("balance")
        self.rewards = QLabel()
        self.rewards.setObjectName("rewards_line")
        self.rewards.setWordWrap(True)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for index, (name, label, shortcut) in enumerate(ACTIONS):
            button = big_button(f"{label}  [{shortcut}]")
            button.clicked.connect(lambda _=False, n=name: self.action.emit(n))
            grid.addWidget(button, index // 2, index % 2)
            self.buttons[name] = button
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.title)
        layout.addWidget(self.number)
        layout.addWidget(self.stamps)
        layout.addWidget(self.stamps_text)
        layout.addWidget(self.points)
        layout.addWidget(self.rewards)
        layout.addWidget(self.state)
        layout.addStretch(1)
        layout.addLayout(grid)
        self.show_card(None)

    def show_card(self, view: CardView | None, zone: str = "UTC") -> None:
        self.view = view
        if view is None or view.card_number != self.banner_card:
            self.clear_result()
        _restyle(self.title, "title" if view is None else "card_name")
        if view is None:
            self.title.setText("Scan a card, or search by number, email, phone or first name.")
            for widget in (self.number, self.stamps, self.stamps_text, self.points):
                widget.hide()
            self.rewards.clear()
            self.state.clear()
            for button in self.buttons.values():
                button.setEnabled(False)
            return
        rules, card = view.program, view.card
        self.title.setText(view.display_name)
        hint = f"   ·   {view.email_hint}" if view.email_hint else ""
        self.number.setText(f"{grouped(view.card_number)}{hint}")
        self.number.show()
        self.stamps.setVisible(rules.is_stamps_enabled)
        self.stamps_text.setVisible(rules.is_stamps_enabled)
        self.stamps.set_stamps(card.stamp_count, rules.stamps_target)
        self.stamps_text.setText(
            f"{card.stamp_count} of {rules.stamps_target} stamps — reward: "
            f"{rules.stamps_reward_description}"
        )
        self.points.setVisible(rules.is_points_enabled)
        self.points.setText(f"{card.points_balance} points")
        if rules.is_points_enabled:
            names = ", ".join(f"{r.name} ({r.points_required})" for r in view.rewards_now)
            self.rewards.setText(f"Can take now: {names}" if names else "No reward reachable yet.")
        else:
            self.rewards.clear()
        self.state.setText(_state_line(view, zone))
        active = card.is_active
        enabled = {
            "stamp": active and rules.is_stamps_enabled and view.stamps.can_stamp,
            "redeem_stamps": active and rules.is_stamps_enabled and view.can_redeem_stamps,
            "earn": active and rules.is_points_enabled,
            "reward": active and rules.is_points_enabled and bool(view.rewards_now),
            "void": active,
            "history": True,
            "toggle_active": True,
            "wallet": active,  # online only: the dialog says so when the server is away
        }
        for name, button in self.buttons.items():
            button.setEnabled(enabled[name])
        self.buttons["toggle_active"].setText(("Deactivate" if active else "Reactivate") + "  [F8]")

    def show_result(
        self, text: str, kind: str = "ok", card_number: str | None = None, timed: bool = True
    ) -> None:
        """kind: ok (done), warn (at work), error (refused). ``card_number``: the card it
        speaks of (None: the card on screen). ``timed``: leaves after ``banner_ms``
        ("Working…" stays until its verdict replaces it)."""
        self.banner_card = card_number or (self.view.card_number if self.view else None)
        if timed:
            self._banner_timer.start()
        else:
            self._banner_timer.stop()
        self.banner.setObjectName(f"banner_{kind}")
        self.banner.style().unpolish(self.banner)  # re-polish for the new object name
        self.banner.style().polish(self.banner)
        self.banner.setText(text)
        self.banner.show()

    def clear_result(self) -> None:
        self._banner_timer.stop()
        self.banner.hide()
        self.banner.clear()
        self.banner_card = None


def _state_line(view: CardView, zone: str) -> str:
    parts: list[str] = []
    if not view.card.is_active:
        parts.append("This card is deactivated.")
    stamps = view.stamps
    if view.program.is_stamps_enabled and view.card.is_active:
        if stamps.cooldown_ends_at is not None:
            parts.append(f"Next stamp from {local_time(stamps.cooldown_ends_at, zone)}.")
        if not stamps.can_earn_more_today:
            parts.append(f"Daily limit reached ({stamps.stamps_today} today).")
    if view.made_here_unsynced and view.pending_ops:
        # Only while its enrollment waits: once the server has applied it (the card
        # comes back with a later pull), saying "not confirmed" contradicted the status
        # bar's "0 waiting".
        parts.append("New card made on this till; the server has not confirmed it yet.")
    if view.pending_ops:
        many = "s" if view.pending_ops != 1 else ""
        parts.append(f"{view.pending_ops} operation{many} of this card waiting to sync.")
    return " ".join(parts)


def _restyle(label: QLabel, name: str) -> None:
    if label.objectName() != name:
        label.setObjectName(name)
        label.style().unpolish(label)  # re-polish for the new object name
        label.style().polish(label)
