"""Failure budgets for the doors a guesser knocks on: owner/manager login and pairing.

Each budget is a fixed window of allowed failures per key (a client IP, an account),
counted in the database (``throttle``) so every worker and every instance shares it.
Only failures are charged: a shop full of tills logging in behind one NAT is not."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sync_server.services import purge, throttle


@dataclass(frozen=True, slots=True)
class Budget:
    name: str
    failures: int
    window: timedelta

    def key(self, who: str) -> str:
        return f"{self.name}:{who}"


# An IP gets more room than one account: several owners may share an office NAT.
LOGIN_PER_IP = Budget("login-ip", 30, timedelta(minutes=15))
LOGIN_PER_ACCOUNT = Budget("login-account", 10, timedelta(minutes=15))
PAIR_PER_IP = Budget("pair", 10, timedelta(minutes=15))
LONGEST_WINDOW = max(b.window for b in (LOGIN_PER_IP, LOGIN_PER_ACCOUNT, PAIR_PER_IP))

Charge = tuple[Budget, str]


def client_key(ip_address: str | None) -> str:
    return ip_address or "unknown"


def account_key(email: str) -> str:
    """Hashed: the throttle table neither stores emails nor limits their length."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def wait_needed(session: Session, charges: Sequence[Charge], now: datetime) -> timedelta | None:
    """The longest wait any exhausted budget imposes, or None when all have room."""
    waits = [
        wait
        for budget, who in charges
        if (
            wait := throttle.blocked_for(
                session, budget.key(who), budget.failures, budget.window, now
            )
        )
    ]
    return max(waits) if waits else None


def charge(session: Session, charges: Sequence[Charge], now: datetime) -> None:
    """Count the failures, and sweep away counters whose window ended (services/purge)."""
    for budget, who in charges:
        throttle.count_failure(session, budget.key(who), budget.window, now)
    purge.throttles(session, now, LONGEST_WINDOW)


def forgive(session: Session, budget: Budget, who: str) -> None:
    """A correct password clears its account's count (only its owner can do that)."""
    throttle.clear(session, budget.key(who))
