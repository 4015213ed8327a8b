"""The program as stored, and as the common rules see it."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from common.money import DEFAULT_CURRENCY
from common.pins import LockoutPolicy
from common.program import LoyaltyType, ProgramRules, Reward
from common.retention import history_days
from common.staff_session import session_minutes
from sync_server.config import Settings
from sync_server.models import Program
from sync_server.repositories import programs as repo


def rules_of(program: Program) -> ProgramRules:
    return ProgramRules(
        loyalty_type=LoyaltyType(program.loyalty_type),
        stamps_target=program.stamps_target,
        stamps_reward_description=program.stamps_reward_description,
        cooldown_minutes=program.cooldown_minutes,
        max_daily_stamps=program.max_daily_stamps,
        points_per_currency_unit=program.points_per_currency_unit,
        points_rewards=tuple(Reward(**r) for r in program.points_rewards or []),
        welcome_bonus_points=program.welcome_bonus_points,
        require_staff_pin=program.require_staff_pin,
        is_active=program.is_active,
    )


def create(session: Session, merchant_id: int, fields: dict[str, Any]) -> Program | None:
    """None when the merchant already has a program."""
    if repo.for_merchant(session, merchant_id) is not None:
        return None
    program = Program(merchant_id=merchant_id, **fields)
    session.add(program)
    session.flush()
    return program


def update(session: Session, program: Program, fields: dict[str, Any]) -> Program:
    """Balances are never rescaled: a new stamps_target applies from the next redemption."""
    for name, value in fields.items():
        setattr(program, name, value)
    session.flush()
    return program


def delete(session: Session, program: Program) -> None:
    """Removes the program only; cards and the ledger stay, refusing operations until a
    new program exists."""
    session.delete(program)
    session.flush()


def lockout_policy(session: Session, merchant_id: int, defaults: Settings) -> LockoutPolicy:
    """The merchant's values, each falling back to the server-wide default."""
    own = repo.settings(session, merchant_id)
    return LockoutPolicy(
        max_attempts=own.pin_lockout_attempts or defaults.pin_lockout_attempts,
        lockout_minutes=own.pin_lockout_minutes or defaults.pin_lockout_minutes,
    )


@dataclass(frozen=True, slots=True)
class TillSettings:
    """What the tills of a merchant show and how long a cashier stays signed in."""

    staff_session_minutes: int
    currency: str
    history_days: int


def till_settings(session: Session, merchant_id: int) -> TillSettings:
    """The merchant's values; NULL means 0 minutes (ask every time) and EUR."""
    own = repo.settings(session, merchant_id)
    return TillSettings(
        staff_session_minutes=session_minutes(own.staff_session_minutes or 0),
        currency=own.currency or DEFAULT_CURRENCY,
        history_days=history_days(own.till_history_days),
    )
