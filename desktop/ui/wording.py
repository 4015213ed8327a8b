"""Refusals and results in words a cashier understands, with the detail that helps
(when the cooldown ends, how many PIN attempts are left), never a code or traceback."""

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.card import CardState
from common.codes import MESSAGES, Reason
from common.money import MINUS, format_money
from common.operations import (
    AddStamp,
    Deactivate,
    EarnPoints,
    Enroll,
    Operation,
    Reactivate,
    RedeemPoints,
    RedeemStamps,
    VoidPoints,
    VoidStamps,
)
from common.outcome import Rejected
from common.program import ProgramRules

_LIMITS = {
    "cache_age": "This till has been offline too long to hand out rewards.",
    "count": "This card already had the most rewards allowed while offline.",
    "points": "This card already redeemed the most points allowed while offline.",
}


def say(rejected: Rejected, zone: str = "UTC") -> str:
    detail = rejected.detail
    match rejected.code:
        case "STAFF_PIN_INVALID" if "attempts_remaining" in detail:
            left = int(detail["attempts_remaining"])
            return f"Wrong PIN. {left} attempt{'s' if left != 1 else ''} left."
        case "STAFF_PIN_LOCKED" if "locked_until" in detail:
            until = store_time(_instant(detail["locked_until"]), zone)
            return f"This PIN is locked until {until}. Ask a manager."
        case "OFFLINE_LIMIT_EXCEEDED" if detail.get("limit") in _LIMITS:
            return _LIMITS[str(detail["limit"])] + " Try again once the till is back online."
        case "COOLDOWN_ACTIVE" if "cooldown_ends_at" in detail:
            ready = store_time(_instant(detail["cooldown_ends_at"]), zone)
            return f"Too soon after the last stamp: next stamp from {ready}."
        case "DAILY_STAMP_LIMIT" if "max_daily_stamps" in detail:
            return f"This card already got {detail['max_daily_stamps']} stamps today."
        case "INSUFFICIENT_POINTS" if "points_balance" in detail:
            return f"Not enough points: the card has {detail['points_balance']}."
        case "INSUFFICIENT_STAMPS" if "stamp_count" in detail:
            return f"Not enough stamps: the card has {detail['stamp_count']}."
    return rejected.message


def countdown(until: datetime, now: datetime) -> str:
    """'4:05' until a lockout or a cooldown ends."""
    seconds = max(0, int((until - now).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"


def local_time(at: datetime, zone: str) -> str:
    return store_time(at, zone)


def _instant(iso: object) -> datetime:
    return datetime.fromisoformat(str(iso))


OPERATIONS = {
    "stamp.add": "Add stamp",
    "stamp.redeem": "Redeem stamps",
    "stamp.void": "Void stamp",
    "points.earn": "Earn points",
    "points.redeem": "Redeem reward",
    "points.void": "Void points",
    "points.adjust": "Adjust points",
    "card.enroll": "New card",
    "card.deactivate": "Deactivate card",
    "card.reactivate": "Reactivate card",
}


def operation(op_type: str) -> str:
    """An operation's code ("points.earn") in words ("Earn points")."""
    return OPERATIONS.get(op_type, op_type)


def refusal(outcome: dict[str, Any], zone: str = "UTC") -> str:
    """The server's refusal of a pushed op (its stored outcome), in words."""
    code = str(outcome.get("code") or "")
    detail = outcome.get("detail")
    if code not in Reason.__members__:
        return str(outcome.get("message") or "The server refused this operation.")
    rejected = Rejected(
        code=Reason(code),
        message=str(outcome.get("message") or MESSAGES[Reason(code)]),
        detail=detail if isinstance(detail, dict) else {},
    )
    return say(rejected, zone)


# -- times on the store's clock ---------------------------------------------------------
# A till (or a manager's laptop) may be set to another zone than the store it serves:
# every time shown is the store's, and says its zone when this machine's clock differs.


def store_time(at: datetime, zone: str, fmt: str = "%H:%M", here: tzinfo | None = None) -> str:
    """``at`` on the store's clock ("23:15"), with the zone's abbreviation ("23:15 CET")
    when the clock of this machine (``here``: its local zone) shows another time."""
    there = at.astimezone(_zone(zone))
    mine = at.astimezone(here) if here is not None else at.astimezone()
    text = f"{there:{fmt}}"
    if mine.utcoffset() != there.utcoffset():
        text = f"{text} {there.tzname()}"
    return text


def store_date_time(at: datetime | None, zone: str, empty: str = "—") -> str:
    """A date and time on the store's clock ("29 Nov 23:15"), or ``empty``."""
    return empty if at is None else store_time(at, zone, "%d %b %H:%M")


def _zone(name: str) -> tzinfo:
    """The store's zone; an unknown name (a newer tz database on the server) is UTC,
    named as such by ``store_time``, rather than an error on every label."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


# -- what a PIN confirms, and what an operation changed ---------------------------------


def action(op: Operation, rules: ProgramRules, currency: str) -> str:
    """What the cashier is about to confirm, without the customer: "Earn 45 points
    (€12.50)", "Redeem Free coffee"."""
    match op:
        case AddStamp():
            return "Add a stamp"
        case RedeemStamps():
            return f"Redeem {rules.stamps_reward_description}"
        case EarnPoints():
            cents = op.purchase_amount_cents
            return f"Earn {rules.points_for(cents)} points ({format_money(cents, currency)})"
        case RedeemPoints():
            reward = rules.reward(op.reward_id)
            return f"Redeem {reward.name if reward else 'a reward'}"
        case VoidPoints() if op.order_reference:
            return f"Void the points of order {op.order_reference}"
        case VoidPoints():
            return "Void an earn of points"
        case VoidStamps():
            return "Void a stamp"
        case Deactivate():
            return "Deactivate the card"
        case Reactivate():
            return "Reactivate the card"
        case Enroll():
            return "Enroll a new customer"
    return operation(op.type)


# Said of the card itself, so said with the customer's name: "Deactivate Ada's card".
_OF_THE_CARD = {
    "Deactivate the card": "Deactivate {}'s card",
    "Reactivate the card": "Reactivate {}'s card",
}


def for_whom(what: str, customer: str | None) -> str:
    """ "Earn 45 points for Léa Martin"; "Deactivate Léa Martin's card"."""
    if not customer:
        return what
    if what in _OF_THE_CARD:
        return _OF_THE_CARD[what].format(customer)
    return f"{what} for {customer}"


def grouped(card_number: str) -> str:
    """A card number in fours, as printed on the card: '1000 0000 0000 0040'."""
    return " ".join(card_number[i : i + 4] for i in range(0, len(card_number), 4))


def whose_card(customer: str, points_balance: int) -> str:
    """The customer and what they hold, above an action's dialog: "Léa Martin · 67
    points"."""
    return f"{customer} · {_points(points_balance)}"


def _points(n: int) -> str:
    return f"{n} point{'s' if n != 1 else ''}"


def changed(op: Operation, before: CardState | None, after: CardState, rules: ProgramRules) -> str:
    """What an operation did to the card, read at a glance: "Points added: +45 points ·
    67 now". Without the card as it was, the balance as it now stands."""
    points = after.points_balance - before.points_balance if before else None
    stamps = after.stamp_count - before.stamp_count if before else None
    target = rules.stamps_target
    match op:
        case AddStamp():
            return f"Stamp added · {after.stamp_count} of {target}"
        case RedeemStamps():
            return (
                f"Stamps redeemed — hand over {rules.stamps_reward_description} · "
                f"{after.stamp_count} of {target} now"
            )
        case EarnPoints() if points is not None:
            return f"Points added: +{_points(points)} · {after.points_balance} now"
        case RedeemPoints():
            reward = rules.reward(op.reward_id)
            name = reward.name if reward else "the reward"
            return f"Reward redeemed — hand over {name} · {_points(after.points_balance)} left"
        case VoidPoints() if points is not None:
            return f"Points voided: {MINUS}{_points(-points)} · {after.points_balance} now"
        case VoidStamps() if stamps is not None:
            many = "s" if stamps != -1 else ""
            return f"Stamp{many} voided: {MINUS}{-stamps} · {after.stamp_count} of {target} now"
        case EarnPoints():
            return f"Points added · {after.points_balance} now"
        case VoidPoints():
            return f"Points voided · {after.points_balance} now"
        case VoidStamps():
            return f"Stamps voided · {after.stamp_count} of {target} now"
        case Deactivate():
            return "Card deactivated"
        case Reactivate():
            return "Card reactivated"
        case Enroll():
            return "Card created"
    return "Done"
