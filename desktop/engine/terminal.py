"""One till put together: its local store, engine and sync client, and the background
sync thread. The window talks to this object only; tests drive it the same way."""

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx

from common.operations import (
    AcknowledgeAttention,
    Operation,
    ResolutionDecision,
    ResolveAttention,
)
from common.outcome import Rejected
from common.qr import encode_qr
from desktop.engine import cache_key, history, paths, staff
from desktop.engine.card_view import CardView, card_view
from desktop.engine.local_store import LocalStore, OutboxEntry
from desktop.engine.lookup import CardMatch, typed
from desktop.engine.resolution import Action, till_decision
from desktop.engine.shift import Shift
from desktop.engine.sync_client import SyncClient, SyncState, TokenStore
from desktop.engine.till import Confirmed, Till
from desktop.engine.tokens import default_tokens
from desktop.engine.wallet_link import NoWalletLink, WalletLink, fetch_wallet_link

# Longest run of digits taken for a phone number rather than a card number.
PHONE_MAX = 12


class Terminal:
    def __init__(
        self,
        data_dir: Path,
        tokens: TokenStore | None = None,
        local_now: Callable[[], datetime] | None = None,
        allow_insecure_http: bool = False,
        transport: httpx.BaseTransport | None = None,
        cache_keys: TokenStore | None = None,
    ) -> None:
        """``cache_keys``: where the database key is kept; by default beside the token
        (``cache_key.key_store``)."""
        self.data_dir = data_dir
        paths.make_private(data_dir)
        account = keyring_account(data_dir)
        database = data_dir / paths.DATABASE_NAME
        key = cache_key.load(cache_keys or cache_key.key_store(data_dir, account, tokens), database)
        self.store = LocalStore(database, local_now=local_now, key=key)
        self.transport = transport  # the wallet link's request goes the sync client's way
        self.client = SyncClient(
            self.store,
            tokens or default_tokens(data_dir, account),
            allow_insecure_http=allow_insecure_http,
            transport=transport,
        )
        self.till = Till(
            self.store, online=lambda: self.client.state.online, verdict=self.client.await_verdict
        )
        self.shift = Shift(self.store, self.till.now)  # who is signed in on this till
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------

    @property
    def paired(self) -> bool:
        return not self.client.state.needs_pairing and self.store.get_meta("base_url") is not None

    @property
    def ready(self) -> bool:
        """Paired and holding a pulled program: the till can take operations."""
        return self.paired and self.store.get_meta("program") is not None

    def start_sync(self, interval: float = 5.0) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.client.run,
            args=(self._stop,),
            kwargs={"interval": interval},
            name="sync",
            daemon=True,
        )
        self._thread.start()

    def stop_sync(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self.client.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop_sync()
        self.client.close()
        self.store.close()

    def on_state(self, listener: Callable[[SyncState], None]) -> None:
        self.client.on_state = listener

    # -- what the screen shows -------------------------------------------------------

    @property
    def zone(self) -> str:
        return str((self.store.get_meta("store") or {}).get("timezone", "UTC"))

    @property
    def store_name(self) -> str:
        return str((self.store.get_meta("store") or {}).get("name", ""))

    @property
    def program_name(self) -> str:
        program = self.store.get_meta("program") or {}
        return str(program.get("display_name") or self.store_name or "Loyalty card")

    @property
    def currency(self) -> str:
        """The merchant's ISO 4217 code as pulled (EUR until one is)."""
        return str((self.store.get_meta("settings") or {}).get("currency") or "EUR")

    @property
    def requires_pin(self) -> bool:
        return bool((self.store.get_meta("program") or {}).get("require_staff_pin", True))

    def qr_payload(self, card_number: str) -> str:
        """What the card's QR code says, signed with the merchant's key from the pull."""
        key = self.store.get_meta("qr_key")
        if key is None:
            raise LookupError("no QR key pulled yet")
        return encode_qr(card_number, bytes.fromhex(key))

    # -- what the cashier does --------------------------------------------------------

    def search(self, query: str) -> list[CardMatch] | Rejected:
        """Matches for a scan, a typed number, an email or a name; a malformed QR or
        card number is a Rejected with its reason (shown as such, not 'no match')."""
        text = typed(query).strip()
        digits = text.replace(" ", "")
        # Card numbers have 16 digits: a typed string of digits close to that is one
        # (mistyped or not); a shorter one is a phone number (E.164: at most 15 with
        # the country code, which a "+" marks anyway).
        if text.upper().startswith("LOY") or (digits.isdigit() and len(digits) > PHONE_MAX):
            number = self.till.card_number_from_scan(text)
            if isinstance(number, Rejected):
                return number
        return self.till.search(text)

    def view(self, card_number: str) -> CardView | None:
        matches = self.till.search(card_number)
        if not matches:
            return None
        match = matches[0]
        waiting = self.store.unsettled(match.card_number)
        return card_view(
            match,
            self.till.context_at(self.till.now()),
            pending_ops=sum(1 for e in waiting if e.status == "pending"),
            made_here_unsynced=self.store.card_id(match.card_number) is None,
        )

    def staff(self) -> list[staff.StaffMember]:
        return staff.staff(self.store, self.till.now())

    def check_pin(self, staff_pin_id: int, pin: str) -> int | Rejected:
        result = staff.check_pin(self.store, staff_pin_id, pin, self.till.now())
        if isinstance(result, Rejected):
            self.client.wake()  # the failure is queued: let the server count it soon
        return result

    def perform(self, op: Operation, staff_pin_id: int | None) -> Confirmed | Rejected:
        result = self.till.perform(op, staff_pin_id)
        if isinstance(result, Confirmed):
            self.client.wake()
        return result

    def enroll(
        self, email: str, name: str | None, phone: str | None, staff_pin_id: int | None
    ) -> Confirmed | Rejected:
        result = self.till.enroll(email, name, phone, staff_pin_id)
        if isinstance(result, Confirmed):
            self.client.wake()
        return result

    def wallet_link(self, card_number: str) -> WalletLink | NoWalletLink:
        """Blocking, online only: run it off the UI thread."""
        return fetch_wallet_link(
            self.store.get_meta("base_url"),
            self.client.tokens.get(),
            card_number,
            allow_insecure_http=self.client.allow_insecure_http,
            transport=self.transport,
        )

    def card_history(self, card_number: str) -> list[history.HistoryItem]:
        return history.card_history(self.store, typed(card_number))

    def store_history(self) -> list[history.HistoryItem]:
        return history.store_history(self.store)

    def attention(self) -> list[OutboxEntry]:
        return self.store.attention()

    def acknowledge(self, op_ids: list[str], staff_pin_id: int, note: str | None = None) -> int:
        """The staff member whose PIN was checked has dealt with these items: marked
        here at once, and queued for the server as ``attention.acknowledge`` ops (the
        server checks the PIN again and records who). Returns how many were queued."""
        names = {m.id: m.name for m in self.staff()}
        queued = self.store.acknowledge(
            op_ids,
            staff_pin_id=staff_pin_id,
            by=names.get(staff_pin_id, f"staff #{staff_pin_id}"),
            client_time=self.till.now(),
            offline=not self.client.state.online,
            note=note,
        )
        if queued:
            self.client.wake()
        self.client.refresh_state()
        return len(queued)

    def resolve(self, op_id: str, decision: ResolutionDecision, staff_pin_id: int) -> bool:
        """Re-apply or dismiss an item of this till's list, confirmed by the staff PIN
        checked: off the list here at once, queued for the server as an
        ``attention.resolve`` op (which checks the PIN again, holds a till's re-apply to
        what the refused op asked, and records who). False if it was not on the list."""
        names = {m.id: m.name for m in self.staff()}
        queued = self.store.resolve(
            op_id,
            decision,
            staff_pin_id=staff_pin_id,
            by=names.get(staff_pin_id, f"staff #{staff_pin_id}"),
            client_time=self.till.now(),
            offline=not self.client.state.online,
        )
        if queued is not None:
            self.client.wake()
        self.client.refresh_state()
        return queued is not None

    def resolve_item(self, op_id: str, action: Action, reason: str, staff_pin_id: int) -> bool:
        """Dismiss an item, or re-apply what its refused op asked (the stamp, the
        earn's points). False: not on the list, or a re-apply only the owner may make."""
        entry = next((e for e in self.attention() if e.op_id == op_id), None)
        if entry is None or isinstance(entry.op, AcknowledgeAttention | ResolveAttention):
            return False
        rules = self.till.context_at(self.till.now()).program
        decision = till_decision(entry.op, action, reason, rules)
        return decision is not None and self.resolve(op_id, decision, staff_pin_id)


def keyring_account(data_dir: Path) -> str:
    """One keyring entry per till database, so two tills on one machine never share."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return f"till-{digest}"
