"""The till's window: camera and search on the left, the card on the right, the sync
state below. It only routes: input → dialog → PIN → engine (in the background) →
result on screen.

What the first frame of the window does not need (the manager area, card printing,
history) is imported when first opened: each costs the till's start, not its use.
"""

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from common.card import CardState
from common.operations import (
    AddStamp,
    Deactivate,
    Operation,
    Reactivate,
    RedeemStamps,
)
from common.outcome import Rejected
from desktop.engine.card_intent import CardIntent, Ticket
from desktop.engine.card_view import CardView
from desktop.engine.local_store import OutboxEntry
from desktop.engine.lookup import CardMatch
from desktop.engine.sync_client import SyncState
from desktop.engine.terminal import Terminal
from desktop.engine.till import Confirmed
from desktop.scan.reader import FrameSource
from desktop.ui.about import add_help_menu
from desktop.ui.action_dialogs import (
    DeactivateDialog,
    EarnDialog,
    EnrollDialog,
    RewardDialog,
    VoidDialog,
)
from desktop.ui.background import Background
from desktop.ui.camera import CameraView
from desktop.ui.camera_pane import StoreMemory
from desktop.ui.card_panel import ACTIONS, BANNER_MS, CardPanel
from desktop.ui.pin_dialog import PinDialog
from desktop.ui.placement import fit_on_screen
from desktop.ui.settings_dialog import NO_CAMERA, CameraSettingsDialog
from desktop.ui.signed_in import SIGN_OUT_KEY, SignedInLabel
from desktop.ui.style import STYLESHEET
from desktop.ui.sync_status import SyncBridge, TillStatusBar
from desktop.ui.wording import action, changed, for_whom, refusal, say, whose_card

if TYPE_CHECKING:
    from desktop.engine.manager_api import ManagerApi
    from desktop.ui.manager.window import ManagerWindow

_DONE = {
    "stamp.add": "Stamp added",
    "stamp.redeem": "Stamps redeemed — hand over the reward",
    "stamp.void": "Stamps voided",
    "points.earn": "Points added",
    "points.redeem": "Reward redeemed — hand it over",
    "points.void": "Points voided",
    "card.deactivate": "Card deactivated",
    "card.reactivate": "Card reactivated",
    "card.enroll": "Card created",
}


class MainWindow(QMainWindow):
    def __init__(
        self,
        terminal: Terminal,
        camera_source: Callable[[int], FrameSource] | None = None,
        camera_index: int = 0,
        background: Background | None = None,
        banner_ms: int = BANNER_MS,
    ) -> None:
        super().__init__()
        self.terminal = terminal
        self.background = background or Background(self)
        self.manager: ManagerWindow | None = None
        self.dialog: QDialog | None = None  # the open dialog, for tests and focus
        self.intent = CardIntent()  # which card loads may still be shown
        self._awaiting: str | None = None  # the op whose provisional banner is up
        self.setWindowTitle(_title(terminal.store_name))
        self.setStyleSheet(STYLESHEET)

        self.camera = CameraView(
            source_factory=camera_source,
            accept=lambda text: (
                text.startswith("LOY1:")
                and isinstance(terminal.till.card_number_from_scan(text), str)
            ),
            memory=StoreMemory(terminal.store),
        )
        self.camera.code_read.connect(self.search)
        self.camera.customer_chosen.connect(self.open_card)
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText(
            "Card number, email, phone, first name or scan  [Ctrl+F]"
        )
        self.search_field.returnPressed.connect(lambda: self.search(self.search_field.text()))
        self.results = QListWidget()
        self.results.itemActivated.connect(self._open_result)
        self.results.hide()
        self.search_message = QLabel()
        self.search_message.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.camera, 1)
        left.addWidget(self.search_field)
        left.addWidget(self.search_message)
        left.addWidget(self.results)

        self.panel = CardPanel(banner_ms=banner_ms)
        self.panel.action.connect(self.on_action)
        body = QWidget()
        row = QHBoxLayout(body)
        row.addLayout(left, 1)
        row.addWidget(self.panel, 1)
        self.setCentralWidget(body)

        self.status = TillStatusBar(lambda: self.terminal.zone)
        self.setStatusBar(self.status)
        self.signed_in = SignedInLabel(terminal.shift, lambda: terminal.zone)
        self.status.addPermanentWidget(self.signed_in)
        self.bridge = SyncBridge(terminal, self)
        self.bridge.changed.connect(self._sync_changed)
        self._build_actions()
        add_help_menu(self)
        fit_on_screen(self, QSize(1200, 800))  # a 1280x800 till shows the status bar
        chosen = terminal.store.get_meta("camera_index", camera_index)
        self.camera_index = int(chosen)
        if self.camera_index != NO_CAMERA:
            self.camera.start(self.camera_index)
        else:
            self.camera.stop()
        self.search_field.setFocus()

    # -- menus and shortcuts ----------------------------------------------------------

    def _build_actions(self) -> None:
        till = self.menuBar().addMenu("&Till")
        card = self.menuBar().addMenu("&Card")
        for text, shortcut, slot, menu in (
            ("Find a card", "Ctrl+F", self.focus_search, till),
            ("New card…", "Ctrl+N", self.enroll, till),
            ("Store history", "Ctrl+H", lambda: self.show_history(store_only=True), till),
            ("Needs attention", "Ctrl+J", lambda: self.show_history(attention=True), till),
            ("Manager area…", "Ctrl+M", self.open_manager, till),
            ("Sync now", "Ctrl+R", self.terminal.client.wake, till),
            ("Camera…", "Ctrl+,", self.choose_camera, till),
            ("Sign out", SIGN_OUT_KEY, self.sign_out, till),
            ("Close card", "Esc", self.close_card, card),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            menu.addAction(action)
            self.addAction(action)
        for name, label, shortcut in ACTIONS:
            action = QAction(label, self)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, n=name: self._shortcut(n))
            card.addAction(action)
            self.addAction(action)

    def _shortcut(self, name: str) -> None:
        if self.panel.buttons[name].isEnabled():
            self.on_action(name)

    def focus_search(self) -> None:
        self.search_field.setFocus()
        self.search_field.selectAll()

    # -- finding a card ---------------------------------------------------------------

    def search(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if not self.terminal.ready:
            self.search_message.setText("This till is still receiving the shop's cards…")
            return
        ticket = self.intent.search()
        self.background.run(
            lambda: self.terminal.search(text),
            lambda found: self._found(found, ticket),
            self._error,
        )

    def _found(self, found: list[CardMatch] | Rejected, ticket: Ticket) -> None:
        if not self.intent.current(ticket):
            return  # a later search or card was asked for meanwhile
        self.results.clear()
        self.results.hide()
        if isinstance(found, Rejected) or not found:
            self._show_no_card()  # a failed lookup leaves no customer open
            self.search_message.setText(
                say(found, self.terminal.zone)
                if isinstance(found, Rejected)
                else "No card matches (the whole email or phone, or the first name). "
                "New customer? Ctrl+N."
            )
            return
        self.search_message.clear()
        if len(found) == 1:
            self.open_card(found[0].card_number)
            return
        self._show_no_card()  # the cashier picks among the matches first
        for match in found:
            item = QListWidgetItem(f"{match.display_name}  ·  {match.card_number}")
            item.setData(Qt.ItemDataRole.UserRole, match.card_number)
            self.results.addItem(item)
        self.results.show()
        self.results.setCurrentRow(0)
        self.results.setFocus()

    def _open_result(self, item: QListWidgetItem) -> None:
        self.open_card(str(item.data(Qt.ItemDataRole.UserRole)))

    def open_card(self, card_number: str) -> None:
        self.panel.clear_result()
        self._load(self.intent.open(card_number))
        self.search_field.clear()

    def refresh_card(self) -> None:
        """Load the card the cashier last opened again (never the one on the panel: a
        card still loading is the one that counts)."""
        ticket = self.intent.refresh()
        if ticket is not None:
            self._load(ticket)

    def _load(self, ticket: Ticket) -> None:
        number = ticket.card_number
        assert number is not None
        self.background.run(
            lambda: self.terminal.view(number),
            lambda view: self._loaded(view, ticket),
            self._error,
        )

    def _loaded(self, view: CardView | None, ticket: Ticket) -> None:
        if not self.intent.take(ticket):
            return  # an answer for an older intent, or older than the one shown
        self.panel.show_card(view, self.terminal.zone)
        if view is not None:
            self.camera.add_customer(view.display_name, view.card_number)
        awaiting = self._awaiting
        if view is not None and awaiting is not None and self.panel.banner.isVisible():
            self.background.run(
                lambda: self.terminal.store.entry(awaiting),
                lambda entry: self._verdict(entry, ticket),
                self._error,
            )

    def _verdict(self, entry: OutboxEntry | None, ticket: Ticket) -> None:
        """A later verdict on the op whose provisional result is on screen replaces it."""
        if entry is None or entry.op_id != self._awaiting or not self.intent.current(ticket):
            return
        if entry.status in ("rejected", "conflict"):
            self._awaiting = None
            text = refusal(entry.outcome or {}, self.terminal.zone)
            self.panel.show_result(f"Refused by the server: {text}", "error")

    def _show_no_card(self) -> None:
        self.intent.close()
        self._awaiting = None
        self.panel.show_card(None)

    def close_card(self) -> None:
        if self.dialog is None:
            self._show_no_card()
            self.camera.rearm()  # the same card, shown again, opens again
            self.focus_search()

    def choose_camera(self) -> None:
        dialog = CameraSettingsDialog(self.camera_index, self.background, self)
        self._open(dialog, lambda: self._use_camera(dialog.camera_index))

    def _use_camera(self, index: int) -> None:
        self.camera_index = index
        with self.terminal.store.transaction() as conn:
            self.terminal.store.set_meta(conn, "camera_index", index)
        self.camera.stop()
        if index != NO_CAMERA:
            self.camera.start(index)

    # -- actions ----------------------------------------------------------------------

    def on_action(self, name: str) -> None:
        view = self.panel.view
        if view is None:
            return
        number = view.card_number
        match name:
            case "stamp":
                self.confirm(AddStamp(card_number=number))
            case "redeem_stamps":
                self.confirm(RedeemStamps(card_number=number))
            case "earn":
                who = whose_card(view.display_name, view.card.points_balance)
                self._ask(EarnDialog(number, view.program, self, self.terminal.currency, who))
            case "reward":
                who = whose_card(view.display_name, view.card.points_balance)
                catalog, balance = view.program.points_rewards, view.card.points_balance
                self._ask(RewardDialog(number, catalog, balance, self, who))
            case "void":
                history = self.terminal.card_history(number)
                self._ask(VoidDialog(number, history, self, zone=self.terminal.zone))
            case "toggle_active" if view.card.is_active:
                asked = DeactivateDialog(view.display_name, self)
                self._open(asked, lambda: self.confirm(Deactivate(card_number=number)))
            case "toggle_active":
                self.confirm(Reactivate(card_number=number))
            case "history":
                self.show_history()
            case "wallet":
                self.show_wallet(number, view.display_name)

    def show_wallet(self, card_number: str, customer: str, over: QDialog | None = None) -> None:
        """The card's Add to wallet QR; ``over``: the dialog it opens on (the new card's)."""
        from desktop.ui.wallet_dialog import WalletDialog

        fetch = partial(self.terminal.wallet_link, card_number)
        shown = WalletDialog(customer, fetch, self.background, self.terminal.zone, over or self)
        if over is None:
            self._open(shown, lambda: None)
        else:
            shown.finished.connect(lambda _code: shown.deleteLater())
            shown.open()

    def _ask(self, dialog: EarnDialog | RewardDialog | VoidDialog) -> None:
        self._open(dialog, lambda: self.confirm(dialog.op, dialog.what))

    def confirm(self, op: Operation, what: str | None = None) -> None:
        """The staff PIN first when the program asks for it, then the operation; a
        cashier signed in for the shift confirms it without the PIN (their id is
        recorded on the op all the same)."""
        if not self.terminal.requires_pin:
            self.perform(op, None)
            return
        signed_in = self.terminal.shift.act()
        self.signed_in.refresh()
        if signed_in is not None:
            self.perform(op, signed_in.staff_pin_id)
            return
        view = self.panel.view
        customer = view.display_name if view is not None else None
        if view is not None and what is None:
            what = action(op, view.program, self.terminal.currency)
        pin = PinDialog(self.terminal, self.background, self, what=for_whom(what or "", customer))
        self._open(pin, lambda: self._pin_given(op, pin.staff_pin_id))

    def _pin_given(self, op: Operation, staff_pin_id: int | None) -> None:
        self.signed_in.refresh()
        self.perform(op, staff_pin_id)

    def sign_out(self) -> None:
        self.terminal.shift.sign_out()
        self.signed_in.refresh()

    def perform(self, op: Operation, staff_pin_id: int | None) -> None:
        self._awaiting = None
        self.panel.show_result("Working…", "warn", op.card_number, timed=False)
        asked = self.intent.refresh()  # the card the op is for, as the cashier asked
        shown = self.panel.view
        before = shown.card if shown is not None and shown.card_number == op.card_number else None
        self.background.run(
            lambda: self.terminal.perform(op, staff_pin_id),
            lambda result: self._performed(op, result, asked, before),
            self._error,
        )

    def _performed(
        self,
        op: Operation,
        result: Confirmed | Rejected,
        asked: Ticket | None,
        before: CardState | None = None,
    ) -> None:
        if asked is None or not self.intent.current(asked):
            return  # the cashier has moved on to another card: no banner over it
        if isinstance(result, Rejected):
            self.panel.show_result(say(result, self.terminal.zone), "error")
            return
        view = self.panel.view
        text = (
            changed(op, before, result.card, view.program)
            if view is not None
            else _DONE.get(op.type, "Done")
        )
        if self.terminal.client.state.online and not result.verified:
            self.panel.show_result(f"{text}.", "ok")
        elif result.verified:
            self.panel.show_result(f"{text} — confirmed by the server.", "ok")
        else:
            self.panel.show_result(f"{text} (offline: it will sync later).", "ok")
        self._awaiting = None if result.verified else result.op_id
        self._counted()
        self.refresh_card()

    # -- enrollment -------------------------------------------------------------------

    def enroll(self) -> None:
        form = EnrollDialog(self)
        self._open(form, lambda: self._enroll_confirmed(form))

    def _enroll_confirmed(self, form: EnrollDialog) -> None:
        customer = form.customer

        def run(staff_pin_id: int | None) -> None:
            self.background.run(
                lambda: self.terminal.enroll(
                    str(customer.email), customer.name, customer.phone, staff_pin_id
                ),
                self._enrolled,
                self._error,
            )

        if not self.terminal.requires_pin:
            run(None)
            return
        signed_in = self.terminal.shift.act()
        self.signed_in.refresh()
        if signed_in is not None:
            run(signed_in.staff_pin_id)
            return
        who = customer.name or str(customer.email)
        pin = PinDialog(self.terminal, self.background, self, what=f"Enroll a new customer: {who}")
        self._open(pin, lambda: run(pin.staff_pin_id))

    def _enrolled(self, result: Confirmed | Rejected) -> None:
        if isinstance(result, Rejected):
            self.panel.show_result(say(result, self.terminal.zone), "error")
            return
        from desktop.ui.card_print import CardLayout
        from desktop.ui.enroll_result import EnrollResultDialog

        number = result.card.card_number
        match = self.terminal.till.search(number)
        customer = match[0].display_name if match else ""
        layout = CardLayout(
            program_name=self.terminal.program_name,
            customer=customer,
            card_number=number,
            qr_payload=self.terminal.qr_payload(number),
        )
        offline = not self.terminal.client.state.online
        self.open_card(number)
        self._counted()
        shown = EnrollResultDialog(
            layout, offline, self, add_to_wallet=lambda: self.show_wallet(number, customer, shown)
        )
        # The dialog says "Card created" while it is up; the panel says it after.
        shown.finished.connect(lambda _code: self._enroll_shown(number, result))
        self._open(shown, lambda: None)

    def _enroll_shown(self, number: str, result: Confirmed) -> None:
        if self.intent.card_number == number:
            self.panel.show_result("Card created.", "ok", number)
            self._awaiting = None if result.verified else result.op_id

    def _counted(self) -> None:
        """The status bar counts an op as waiting as soon as it is queued (else it said
        "0 waiting" beside a panel saying "1 operation waiting" until the next round)."""
        self.terminal.client.refresh_state()

    # -- history, attention, manager --------------------------------------------------

    def show_history(self, store_only: bool = False, attention: bool = False) -> None:
        from desktop.ui.history_view import AttentionList, HistoryDialog

        view = self.panel.view
        card_items = None
        if view is not None and not store_only and not attention:
            card_items = self.terminal.card_history(view.card_number)
        zone, name_of = self.terminal.zone, self._name_of()
        listing = AttentionList(
            self.terminal.attention,
            self.terminal.acknowledge,
            self._identify_manager,
            zone=zone,
            name_of=name_of,
            resolve=self.terminal.resolve_item,
        )
        store_items = self.terminal.store_history()
        dialog = HistoryDialog(card_items, store_items, listing, attention, self, zone, name_of)
        self._open(dialog, lambda: None)

    def _name_of(self) -> Callable[[str], str | None]:
        """The customer of a card as this till knows it (pulled, or enrolled here), each
        card looked up once per listing."""
        known: dict[str, str | None] = {}

        def name_of(number: str) -> str | None:
            if number not in known:
                found = self.terminal.till.search(number)
                known[number] = found[0].display_name if found else None
            return known[number]

        return name_of

    def _identify_manager(self) -> int | None:
        """Who acknowledges: the staff PIN entered (modal, short); any active staff PIN
        of this store may (docs/sync-protocol.md), and the server records whose."""
        pin = PinDialog(
            self.terminal, self.background, self, what="Acknowledge what needs attention"
        )
        if pin.exec() != QDialog.DialogCode.Accepted:
            return None
        return pin.staff_pin_id

    def open_manager(self) -> None:
        """Owner or manager login (online), then the manager area in its own window."""
        base_url = self.terminal.store.get_meta("base_url")
        store_id = self.terminal.store.get_meta("store_id")
        if base_url is None or store_id is None:
            self.panel.show_result("Pair this till first.", "error")
            return
        from desktop.ui.manager.login_dialog import ManagerLoginDialog

        login = ManagerLoginDialog(
            str(base_url),
            int(store_id),
            self,
            allow_insecure_http=self.terminal.client.allow_insecure_http,
        )
        login.logged_in.connect(self._show_manager)
        self._open(login, lambda: None)

    def _show_manager(self, api: "ManagerApi") -> None:
        from desktop.ui.manager.window import ManagerWindow

        self.manager = ManagerWindow(api, self, zone=self.terminal.zone)
        self.manager.setWindowFlag(Qt.WindowType.Window)
        self.manager.show()

    # -- plumbing ---------------------------------------------------------------------

    def _open(self, dialog: QDialog, on_accept: Callable[[], None]) -> None:
        """Window-modal and non-blocking: the UI thread never waits on a dialog. The
        result banner of the last action leaves: it spoke of that action, not this view."""
        self.dialog = dialog
        self.panel.clear_result()

        def finished(code: int) -> None:
            self.dialog = None
            dialog.deleteLater()
            if code == QDialog.DialogCode.Accepted.value:
                on_accept()
            self.refresh_card()  # what changed while the dialog was up
            self.search_field.setFocus()

        dialog.finished.connect(finished)
        dialog.open()

    def _sync_changed(self, state: SyncState) -> None:
        self.status.show_state(state)
        self.signed_in.refresh()  # a pull may have locked or removed the cashier
        self.setWindowTitle(_title(self.terminal.store_name))
        if state.needs_pairing and self.terminal.store.get_meta("base_url") is None:
            self.panel.show_result("This till is not paired any more. Restart to pair.", "error")
        elif not state.pulling:
            self.refresh_card()  # between pull rounds only: a round lands whole

    def _error(self, exc: Exception) -> None:
        self.panel.show_result(f"Something went wrong: {exc}", "error")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.camera.stop()
        self.background.pool.waitForDone(5000)
        super().closeEvent(event)


def _title(store_name: str) -> str:
    """ "Loyalty till — Café Gare"; the store's name comes with the first pull."""
    return f"Loyalty till — {store_name}" if store_name else "Loyalty till"
