"""Who is signed in on this till (one sign-in per shift).

The session is held in memory: closing the till signs everybody out. The rule for when
it ends is common/staff_session.py; this keeps the session, asks the local staff table
whether the cashier is still active and unlocked (a pull that deactivates or locks them,
or a wiped cache after a revoke, ends it), and remembers the last cashier who confirmed
on this till so the PIN dialog can pre-select them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from common.staff_session import (
    SessionEnd,
    StaffSession,
    ended,
    expires_at,
    session_minutes,
    touched,
)
from desktop.engine.local_store import LocalStore
from desktop.engine.staff import staff

LAST_CASHIER = "last_staff_pin_id"


@dataclass(frozen=True, slots=True)
class SignedIn:
    staff_pin_id: int
    name: str
    until: datetime  # when the session ends unless an operation comes first


class Shift:
    def __init__(self, store: LocalStore, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now
        self._session: StaffSession | None = None
        self.last_end: SessionEnd | None = None  # why the last session ended

    @property
    def minutes(self) -> int:
        """The merchant's setting as pulled; 0 (ask every time) until one is."""
        return session_minutes((self.store.get_meta("settings") or {}).get("staff_session_minutes"))

    def current(self) -> SignedIn | None:
        """The cashier signed in now, or None (a session that has ended is dropped)."""
        session = self._session
        if session is None:
            return None
        now, minutes = self.now(), self.minutes
        member = next((m for m in staff(self.store, now) if m.id == session.staff_pin_id), None)
        end = ended(
            session,
            now,
            minutes,
            staff_active=member is not None,
            staff_locked=member is not None and member.is_locked,
        )
        if end is not None or member is None:
            self._end(end or SessionEnd.STAFF_INACTIVE)
            return None
        return SignedIn(member.id, member.name, expires_at(session, minutes))

    def confirmed(self, staff_pin_id: int) -> None:
        """A PIN was verified: this cashier is the one to pre-select next time and, when
        the merchant allows sessions, is signed in from now."""
        if self.last_cashier() != staff_pin_id:
            with self.store.transaction() as conn:
                self.store.set_meta(conn, LAST_CASHIER, staff_pin_id)
        if self.minutes > 0:
            self._session = StaffSession(staff_pin_id, self.now())
            self.last_end = None
        else:
            self._session = None

    def act(self) -> SignedIn | None:
        """An operation is about to be confirmed by the session: who, with the window
        moved on; None when nobody is signed in (then the PIN is asked)."""
        signed_in = self.current()
        if signed_in is None or self._session is None:
            return None
        self._session = touched(self._session, self.now())
        return self.current()

    def sign_out(self) -> None:
        if self._session is not None:
            self._end(SessionEnd.SIGNED_OUT)

    def last_cashier(self) -> int | None:
        value = self.store.get_meta(LAST_CASHIER)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _end(self, why: SessionEnd) -> None:
        self._session = None
        self.last_end = why
