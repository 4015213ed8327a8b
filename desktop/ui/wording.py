"""Refusals and results in words a cashier understands, with the detail that helps
(when the cooldown ends, how many PIN attempts are left), never a code or traceback."""

from datetime import datetime
from zoneinfo import ZoneInfo

from common.outcome import Rejected

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
            until = _local(detail["locked_until"], zone)
            return f"This PIN is locked until {until:%H:%M}. Ask a manager."
        case "OFFLINE_LIMIT_EXCEEDED" if detail.get("limit") in _LIMITS:
            return _LIMITS[str(detail["limit"])] + " Try again once the till is back online."
        case "COOLDOWN_ACTIVE" if "cooldown_ends_at" in detail:
            ready = _local(detail["cooldown_ends_at"], zone)
            return f"Too soon after the last stamp: next stamp from {ready:%H:%M}."
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
    return f"{at.astimezone(ZoneInfo(zone)):%H:%M}"


def _local(iso: object, zone: str) -> datetime:
    return datetime.fromisoformat(str(iso)).astimezone(ZoneInfo(zone))
