"""Checking a pulled page before any of it is written: ``problem`` says in words what is
wrong, or None for a page the till can store whole and read back later.

A page that passes binds to SQLite (ints within 64 bits, no NaN, no lone surrogate, no
nested values), and every value the till later reads has the type its reader expects
(aware ISO times, a real time zone, a hex QR key, the program's fields). Entities and
columns this till does not know are ignored, as docs/sync-protocol.md promises.
"""

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

from common.ledger import TransactionType
from common.money import is_currency_code
from common.program import LoyaltyType
from common.retention import MAX_HISTORY_DAYS, MIN_HISTORY_DAYS
from common.staff_session import MAX_SESSION_MINUTES
from desktop.engine.pull_apply import CHECKED_ENTITIES, OUTCOMES

INT64 = 2**63
MAX_CURSOR = 4096
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){16,128}")
_PRINTABLE = re.compile(r"[!-~]+")
_DIGEST = re.compile(r"[0-9a-f]{32}")

Check = Callable[[Any], bool]


def _int(value: Any) -> bool:
    return type(value) is int and -INT64 <= value < INT64


def _text(value: Any) -> TypeGuard[str]:
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate: SQLite cannot hold it
        return False
    return True


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _day(value: Any) -> bool:
    return _parses(value, date.fromisoformat)


def _time(value: Any) -> bool:
    return _parses(value, lambda v: datetime.fromisoformat(v).tzinfo is not None)


def _parses(value: Any, parse: Callable[[str], object]) -> bool:
    try:
        return _text(value) and parse(value) is not False
    except ValueError:
        return False


def _scalar(value: Any) -> bool:
    """Anything SQLite binds and JSON carries: what an unknown column may hold."""
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or _bool(value) or _int(value) or _text(value)


def _optional(check: Check) -> Check:
    return lambda value: value is None or check(value)


# Entity: {column: check}; the first columns named are the ones a row must have.
_COLUMNS: dict[str, tuple[tuple[str, ...], dict[str, Check]]] = {
    "customers": (  # no email: the person was erased (desktop/engine/customer_cache.py)
        ("id",),
        {
            "id": _int,
            "email": _optional(_text),
            "name": _optional(_text),
            "phone": _optional(_text),
        },
    ),
    "cards": (
        ("id", "card_number", "customer_id"),
        {
            "id": _int,
            "card_number": _text,
            "customer_id": _int,
            "is_active": _bool,
            **{
                c: _int
                for c in (
                    "stamp_count",
                    "total_stamps_earned",
                    "stamps_redeemed",
                    "total_stamps_voided",
                    "points_balance",  # may be negative: an offline overspend
                    "total_points_earned",
                    "points_redeemed",
                    "total_points_voided",
                    "total_points_adjusted",
                    "stamps_on_day",
                )
            },
            "stamps_day": _optional(_day),
            **{
                c: _optional(_time)
                for c in ("last_stamp_at", "last_points_at", "last_redemption_at")
            },
            "last_activity_at": _optional(_time),
        },
    ),
    "aliases": (("card_number", "card_id"), {"card_number": _text, "card_id": _int}),
    "transactions": (
        ("id", "card_id", "type", "stamps_delta", "points_delta", "created_at"),
        {
            "id": _int,
            "card_id": _int,
            "type": lambda v: v in set(TransactionType),
            "stamps_delta": _int,
            "points_delta": _int,
            "order_reference": _optional(_text),
            "related_transaction_id": _optional(_int),
            "reward_id": _optional(_text),
            "created_at": _time,
        },
    ),
    "staff_pins": (
        ("id", "name", "pin_hash", "is_active", "failed_attempts"),
        {
            "id": _int,
            "name": _text,
            "pin_hash": _text,
            "is_active": _bool,
            "failed_attempts": _int,
            "locked_until": _optional(_time),
            "deleted": _bool,
        },
    ),
    OUTCOMES: (
        ("op_id",),
        {
            "op_id": _text,
            "seq": _int,
            "status": _text,
            "code": _optional(_text),
            "message": _optional(_text),
            "result": lambda _: True,  # not kept by the till
            "acknowledged_at": _optional(_time),
            "acknowledged_by": _optional(_text),
            # From servers since local schema 7; absent from older ones.
            "resolution_action": _optional(lambda v: v in ("reapply", "dismiss")),
            "resolution_reason": _optional(_text),
            "resolved_by": _optional(_text),
        },
    ),
}
_PROGRAM: dict[str, Check] = {
    "loyalty_type": lambda v: _text(v) and v in set(LoyaltyType),  # a list is unhashable
    "display_name": _text,
    "stamps_reward_description": _text,
    "require_staff_pin": _bool,
    "is_active": _bool,
    **{
        c: lambda v: _int(v) and 0 <= v < 2**31
        for c in (
            "stamps_target",
            "cooldown_minutes",
            "max_daily_stamps",
            "points_per_currency_unit",
            "welcome_bonus_points",
        )
    },
}
_REWARD: dict[str, Check] = {
    "id": _text,
    "name": _text,
    "points_required": lambda v: _int(v) and 0 <= v < 2**31,
    "is_active": _bool,
}
_SETTINGS: dict[str, Check] = {
    "pin_lockout_attempts": _int,
    "pin_lockout_minutes": _int,
    "offline_max_cache_age_minutes": _int,
    "offline_max_redemptions_per_card": _int,
    "offline_max_points_per_card": _int,
    "offline_overspend_allowed": _bool,
    "staff_session_minutes": lambda v: _int(v) and 0 <= v <= MAX_SESSION_MINUTES,
    "currency": is_currency_code,
}
# Settings a server of an earlier release does not send: checked when present.
_LATER_SETTINGS: dict[str, Check] = {
    "history_days": lambda v: _int(v) and MIN_HISTORY_DAYS <= v <= MAX_HISTORY_DAYS,
}


def problem(page: Any) -> str | None:
    """What makes ``page`` unusable, in words; None if the till can write it."""
    if not isinstance(page, dict):
        return "the page is not a JSON object"
    for check in (_top, _meta, _tables, _digests):
        found = check(page)
        if found is not None:
            return found
    return None


def buckets_problem(answer: Any) -> str | None:
    """What makes the server's answer to a re-pull of buckets unusable; None if fine."""
    if not isinstance(answer, dict):
        return "the answer is not a JSON object"
    if not (_time(answer.get("since")) and _digest_map(answer.get("buckets"))):
        return "its 'since' or 'buckets' is not what a re-pull answers"
    tables = answer.get("tables")
    if not isinstance(tables, dict):
        return "its tables are not an object"
    for name in CHECKED_ENTITIES:
        if name in tables:
            found = _table(name, tables[name])
            if found is not None:
                return f"{name}: {found}"
    return None


def _digests(page: dict[str, Any]) -> str | None:
    """The digests of a final page (docs/sync-protocol.md, "Digests"), when sent."""
    digests = page.get("digests")
    if digests is None:
        return None
    if not (
        isinstance(digests, dict)
        and _time(digests.get("since"))
        and _digest_map(digests.get("buckets"))
        and isinstance(digests.get("moving"), list)
        and all(_text(n) for n in digests["moving"])
    ):
        return "its digests are not bucket names with hex digests"
    return None


def _digest_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        _text(k) and isinstance(v, str) and _DIGEST.fullmatch(v) for k, v in value.items()
    )


def _top(page: dict[str, Any]) -> str | None:
    cursor = page.get("cursor")
    if not (isinstance(cursor, str) and len(cursor) <= MAX_CURSOR and _PRINTABLE.fullmatch(cursor)):
        return "its cursor is not a short printable string"
    for key in ("has_more", "reset", "caught_up"):
        if key in page and not _bool(page[key]):
            return f"'{key}' is not true or false"
    if "has_more" not in page:
        return "it does not say whether more pages follow"
    if "server_time" in page and not _plausible_time(page["server_time"]):
        return "its server time is not a plausible time with a zone"
    return None


def _plausible_time(value: Any) -> bool:
    """The till dates its ops by it: year 1 or 9999 would overflow its clock offset."""
    return _time(value) and _text(value) and 2000 <= datetime.fromisoformat(value).year <= 2200


def _meta(page: dict[str, Any]) -> str | None:
    if page.get("program") is not None:
        program = page["program"]
        found = _fields("the program", program, _PROGRAM)
        if found is not None:
            return found
        rewards = program.get("points_rewards")
        if not isinstance(rewards, list):
            return "the program's rewards are not a list"
        for reward in rewards:
            found = _fields("a reward", reward, _REWARD)
            if found is not None:
                return found
    if "store" in page and not _is_store(page["store"]):
        return "the store has no valid name and time zone"
    if "qr_key" in page and not (
        isinstance(page["qr_key"], str) and _HEX.fullmatch(page["qr_key"])
    ):
        return "the QR key is not a hex key"
    if "settings" in page:
        settings = page["settings"]
        later = {
            k: c for k, c in _LATER_SETTINGS.items() if isinstance(settings, dict) and k in settings
        }
        return _fields("the settings", settings, {**_SETTINGS, **later})
    return None


def _is_store(store: Any) -> bool:
    if not (isinstance(store, dict) and _text(store.get("name"))):
        return False
    ident = store.get("id")
    if not (type(ident) is int and 0 < ident < 2**63):  # the till serves it from now on
        return False
    zone = store.get("timezone")
    try:
        return _text(zone) and ZoneInfo(zone) is not None
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False


def _fields(what: str, value: Any, checks: dict[str, Check]) -> str | None:
    if not isinstance(value, dict):
        return f"{what} is not an object"
    for name, check in checks.items():
        if name not in value or not check(value[name]):
            return f"{what}: '{name}' is missing or of the wrong type"
    return None


def _tables(page: dict[str, Any]) -> str | None:
    if page.get("tables") is not None:
        tables = page["tables"]
        if not isinstance(tables, dict):
            return "its tables are not an object"
        for name in CHECKED_ENTITIES:
            if name in tables:
                found = _table(name, tables[name])
                if found is not None:
                    return f"{name}: {found}"
        return None
    changes = page.get("changes")
    if changes is None:
        return None
    if not isinstance(changes, dict):
        return "its changes are not an object"
    for name in CHECKED_ENTITIES:
        records = changes.get(name)
        if records is None:
            continue
        if not (isinstance(records, list) and all(isinstance(r, dict) for r in records)):
            return f"{name}: the rows are not a list of objects"
        columns = list(dict.fromkeys(key for r in records for key in r))
        found = _table(
            name, {"columns": columns, "rows": [[r.get(c) for c in columns] for r in records]}
        )
        if found is not None:
            return f"{name}: {found}"
    return None


def _table(name: str, table: Any) -> str | None:
    if not isinstance(table, dict):
        return "not an object of columns and rows"
    columns, rows = table.get("columns"), table.get("rows")
    if not (
        isinstance(columns, list)
        and all(isinstance(c, str) and _NAME.fullmatch(c) for c in columns)
    ):
        return "the column names are not a list of plain names"
    if len(set(columns)) != len(columns):
        return "a column is named twice"
    required, checks = _COLUMNS[name]
    missing = [c for c in required if c not in columns]
    if missing:
        return f"the columns {missing} are missing"
    if not isinstance(rows, list):
        return "the rows are not a list"
    cell_checks = [checks.get(c, _scalar) for c in columns]
    for row in rows:
        if not (isinstance(row, list) and len(row) == len(columns)):
            return "a row does not match the columns"
        for column, check, value in zip(columns, cell_checks, row, strict=True):
            if not (check(value) or (value is None and column not in required)):
                return f"'{column}' holds a value of the wrong type"
    return None
