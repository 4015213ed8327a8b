"""Sign-in per shift: once a cashier's PIN is verified, the till may confirm further
operations in their name without asking again, while they keep working. The rule is
here once; the till keeps the session (desktop/engine/shift.py) and records the
cashier's staff PIN id on every operation as before.

A session lasts while operations keep coming: each one confirmed in its name moves the
end ``minutes`` further (a sliding window). It ends at the first of: ``minutes`` without
an operation, a setting of 0, the staff member deactivated, unknown (the till's cache
was wiped) or locked, the till's clock set back, or a sign-out.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_SESSION_MINUTES = 0  # ask for the PIN on every operation
MAX_SESSION_MINUTES = 720  # a long shift; more would be "never ask"
# A clock set back further than this ends the session: idle time cannot be measured.
CLOCK_SLACK = timedelta(minutes=1)


class SessionEnd(StrEnum):
    NOT_ALLOWED = "not_allowed"  # the merchant's setting is 0
    IDLE = "idle"
    STAFF_INACTIVE = "staff_inactive"
    STAFF_LOCKED = "staff_locked"
    CLOCK_SET_BACK = "clock_set_back"
    SIGNED_OUT = "signed_out"


@dataclass(frozen=True, slots=True)
class StaffSession:
    staff_pin_id: int
    last_activity: datetime


def session_minutes(value: object) -> int:
    """The setting as pulled; anything but an int in bounds means the default."""
    if isinstance(value, bool) or not isinstance(value, int):
        return DEFAULT_SESSION_MINUTES
    return value if 0 <= value <= MAX_SESSION_MINUTES else DEFAULT_SESSION_MINUTES


def ended(
    session: StaffSession,
    now: datetime,
    minutes: int,
    *,
    staff_active: bool,
    staff_locked: bool,
) -> SessionEnd | None:
    """Why ``session`` no longer stands at ``now``; None while it does."""
    if minutes <= 0:
        return SessionEnd.NOT_ALLOWED
    if not staff_active:
        return SessionEnd.STAFF_INACTIVE
    if staff_locked:
        return SessionEnd.STAFF_LOCKED
    idle = now - session.last_activity
    if idle < -CLOCK_SLACK:
        return SessionEnd.CLOCK_SET_BACK
    if idle >= timedelta(minutes=minutes):
        return SessionEnd.IDLE
    return None


def touched(session: StaffSession, now: datetime) -> StaffSession:
    """An operation in the session's name at ``now``: the window slides (never back)."""
    return replace(session, last_activity=max(session.last_activity, now))


def expires_at(session: StaffSession, minutes: int) -> datetime:
    return session.last_activity + timedelta(minutes=minutes)
