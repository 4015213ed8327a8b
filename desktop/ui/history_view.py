"""The card's and the store's recent activity, and the attention list: operations the
server refused (or applied with a warning), with the reason, until a manager
acknowledges, re-applies or dismisses them."""

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from common.codes import MESSAGES, Reason
from common.operations import AcknowledgeAttention, ResolveAttention
from desktop.engine.history import HistoryItem
from desktop.engine.local_store import OutboxEntry
from desktop.engine.resolution import Action
from desktop.ui.fit import fit_columns
from desktop.ui.placement import fit_on_screen
from desktop.ui.style import big_button
from desktop.ui.wording import grouped, operation, store_date_time

NameOf = Callable[[str], str | None]  # a card number → its customer, where known here
# (op_id, action, reason, staff PIN id) -> queued? (desktop/engine/terminal.py)
Resolve = Callable[[str, Action, str, int], bool]

_KIND_WORDS = {
    "CARD_CREATED": "Card created",
    "WELCOME_BONUS": "Welcome bonus",
    "STAMP_EARNED": "Stamp",
    "STAMP_REDEEMED": "Stamps redeemed",
    "STAMP_VOIDED": "Stamp voided",
    "POINTS_EARNED": "Points earned",
    "POINTS_REDEEMED": "Reward",
    "POINTS_VOIDED": "Points voided",
    "POINTS_ADJUSTMENT": "Points adjusted",
    "STAMPS_ADJUSTMENT": "Stamps adjusted",
    "CARD_DEACTIVATED": "Deactivated",
    "CARD_REACTIVATED": "Reactivated",
}
_STATUS_WORDS = {
    "synced": "",
    "pending": "waiting to sync",
    "applied": "applied",
    "rejected": "refused by the server",
    "conflict": "sync conflict",
}


def card_cell(card_number: str, name_of: NameOf) -> str:
    """'Léa Martin · 1000 0000 0000 0040': who first, the number grouped as printed."""
    name = name_of(card_number)
    return f"{name} · {grouped(card_number)}" if name else grouped(card_number)


def _plain_table(rows: int, headers: list[str]) -> QTableWidget:
    """Read-only, whole rows, no row numbers (they mean nothing to a cashier)."""
    table = QTableWidget(rows, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    return table


def history_table(
    items: list[HistoryItem], with_card: bool, zone: str = "UTC", name_of: NameOf = lambda _: None
) -> QTableWidget:
    """``zone``: the store's; times are on its clock, named when this machine's differs.
    ``name_of``: the customer of a card, shown beside its number."""
    headers = ["When", "What", "Stamps", "Points", "Order", "Status"]
    if with_card:
        headers.insert(1, "Card")
    table = _plain_table(len(items), headers)
    for row, item in enumerate(items):
        cells = [
            store_date_time(item.at, zone),
            _KIND_WORDS.get(item.kind.value, item.kind.value),
            _signed(item.stamps_delta),
            _signed(item.points_delta),
            item.order_reference or "",
            " — ".join(
                x
                for x in (_STATUS_WORDS.get(item.status, item.status), item.reason, item.resolution)
                if x
            ),
        ]
        if with_card:
            cells.insert(1, card_cell(item.card_number, name_of))
        for col, text in enumerate(cells):
            table.setItem(row, col, QTableWidgetItem(text))
    fit_columns(table)
    return table


class AttentionList(QWidget):
    """Acknowledging takes the selected rows, never all by default, and asks who
    acknowledges (``identify`` returns the staff PIN id checked, or None); the server
    records that person (docs/sync-protocol.md, "Attention list"). Re-apply and
    Dismiss take one selected row, ask a reason (``ask_reason``), then who; ``resolve``
    says whether it was queued (a till re-applies only a refused stamp or earn).

    Signals:
        changed(int): the list was reloaded; how many items it holds.
    """

    changed = Signal(int)

    def __init__(
        self,
        load: Callable[[], list[OutboxEntry]],
        acknowledge: Callable[[list[str], int], object],
        identify: Callable[[], int | None],
        parent: QWidget | None = None,
        zone: str = "UTC",
        name_of: NameOf = lambda _: None,
        resolve: Resolve | None = None,
    ) -> None:
        super().__init__(parent)
        self.load, self._acknowledge, self.identify = load, acknowledge, identify
        self._resolve, self.ask_reason = resolve, self._ask_reason
        self.zone, self.name_of = zone, name_of
        self.table = _plain_table(0, ["When", "Card", "Operation", "Reason"])
        # The reason is long ("Redeemed offline beyond the balance the server …"): the
        # column elides it, its tooltip and the pane below say it whole.
        self.detail = QLabel()
        self.detail.setObjectName("attention_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.currentCellChanged.connect(lambda row, *_: self._explain(row))
        self.empty = QLabel("Nothing needs attention.")
        self.hint = QLabel("")
        self.ack = big_button("Acknowledge selected  [Ctrl+K]")
        self.ack.setShortcut("Ctrl+K")
        self.ack.clicked.connect(self.acknowledge_selected)
        self.reapply = big_button("Re-apply…  [Ctrl+G]")
        self.reapply.setShortcut("Ctrl+G")
        self.reapply.clicked.connect(lambda: self.resolve_selected("reapply"))
        self.dismiss = big_button("Dismiss…  [Ctrl+D]")
        self.dismiss.setShortcut("Ctrl+D")
        self.dismiss.clicked.connect(lambda: self.resolve_selected("dismiss"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.hint)
        buttons = QHBoxLayout()
        for button in (self.ack, self.reapply, self.dismiss):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.reapply.setVisible(resolve is not None)
        self.dismiss.setVisible(resolve is not None)
        self.refresh()

    def refresh(self) -> None:
        self.entries = self.load()
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            cells = [
                store_date_time(entry.client_time, self.zone),
                ""
                if isinstance(entry.op, AcknowledgeAttention | ResolveAttention)
                else card_cell(entry.op.card_number, self.name_of),
                operation(entry.op.type),
                reason_text(entry),
            ]
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, entry.op_id)
                cell.setToolTip(reason_text(entry))
                self.table.setItem(row, col, cell)
        fit_columns(self.table)
        if self.entries:  # the first reason shown whole, nothing selected (Ctrl+K)
            self.table.setCurrentCell(0, 0, QItemSelectionModel.SelectionFlag.NoUpdate)
        self._explain(self.table.currentRow())
        self.empty.setVisible(not self.entries)
        for button in (self.ack, self.reapply, self.dismiss):
            button.setEnabled(bool(self.entries))
        self.changed.emit(len(self.entries))

    def _explain(self, row: int) -> None:
        """The whole story of the current row, under the table."""
        if not 0 <= row < len(self.entries):
            self.detail.clear()
            return
        entry = self.entries[row]
        what = operation(entry.op.type)
        if not isinstance(entry.op, AcknowledgeAttention | ResolveAttention):
            what = f"{what} · {card_cell(entry.op.card_number, self.name_of)}"
        when = store_date_time(entry.client_time, self.zone)
        self.detail.setText(f"{when} · {what}\n{reason_text(entry)}")

    def acknowledge_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        if not rows:
            self.hint.setText("Select the rows to acknowledge first.")
            return
        staff_pin_id = self.identify()
        if staff_pin_id is None:
            return
        self._acknowledge([self.entries[r].op_id for r in rows], staff_pin_id)
        self.hint.setText(f"{len(rows)} acknowledged; the server is told at the next sync.")
        self.refresh()

    def resolve_selected(self, action: Action) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        if len(rows) != 1 or self._resolve is None:
            self.hint.setText("Select one row to re-apply or dismiss.")
            return
        reason = (self.ask_reason(action) or "").strip()
        if not reason:
            return
        staff_pin_id = self.identify()
        if staff_pin_id is None:
            return
        if self._resolve(self.entries[rows[0]].op_id, action, reason[:500], staff_pin_id):
            done = "Re-applied" if action == "reapply" else "Dismissed"
            self.hint.setText(f"{done}; the server is told at the next sync.")
        else:
            self.hint.setText("Only the owner can re-apply this (manager area).")
        self.refresh()

    def _ask_reason(self, action: Action) -> str | None:
        title = "Re-apply" if action == "reapply" else "Dismiss"
        text, ok = QInputDialog.getText(self, title, "Reason (kept with the item):")
        return text if ok else None


def reason_text(entry: OutboxEntry) -> str:
    outcome = entry.outcome or {}
    code = str(outcome.get("code") or "")
    known = code in Reason.__members__
    message = outcome.get("message") or (MESSAGES[Reason(code)] if known else code)
    return str(message)


class HistoryDialog(QDialog):
    def __init__(
        self,
        card_items: list[HistoryItem] | None,
        store_items: list[HistoryItem],
        attention: AttentionList,
        start_on_attention: bool = False,
        parent: QWidget | None = None,
        zone: str = "UTC",
        name_of: NameOf = lambda _: None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("History")
        self.tabs = QTabWidget()
        if card_items is not None:
            self.tabs.addTab(history_table(card_items, False, zone), "This card")
        self.tabs.addTab(history_table(store_items, True, zone, name_of), "This store")
        self.attention = attention
        self.tabs.addTab(attention, _attention_title(len(attention.entries)))
        attention.changed.connect(
            lambda n: self.tabs.setTabText(self.tabs.indexOf(attention), _attention_title(n))
        )
        if start_on_attention:
            self.tabs.setCurrentWidget(attention)
        close = big_button("Close")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(close)
        fit_on_screen(self, QSize(1160, 620))  # the card column holds a name now


def _attention_title(count: int) -> str:
    return f"Needs attention ({count})"


def _signed(value: int | None) -> str:
    return "" if not value else f"{value:+d}"
