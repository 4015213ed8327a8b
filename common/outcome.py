"""What a rule returns: a rejection is a value with a stable code, never an exception."""

from dataclasses import dataclass, field
from typing import Any

from common.card import CardState
from common.codes import MESSAGES, Reason
from common.ledger import EntryDraft


@dataclass(frozen=True, slots=True)
class Rejected:
    code: Reason
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


def reject(code: Reason, message: str | None = None, **detail: Any) -> Rejected:
    return Rejected(code=code, message=message or MESSAGES[code], detail=detail)


@dataclass(frozen=True, slots=True)
class Applied:
    card: CardState
    entries: tuple[EntryDraft, ...]


Decision = Applied | Rejected
