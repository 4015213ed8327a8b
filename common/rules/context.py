"""What a rule needs besides the card and the operation."""

from dataclasses import dataclass
from datetime import datetime

from common.ledger import OriginalEntry
from common.program import ProgramRules, StoreClock


@dataclass(frozen=True, slots=True)
class RuleContext:
    """``allow_overdraft``: a redemption already handed over at an offline till is
    recorded even if the authoritative balance no longer covers it (merchant policy)."""

    program: ProgramRules
    clock: StoreClock
    now: datetime
    allow_overdraft: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """Ledger facts the caller looks up under the card's lock before deciding.

    ``original`` is the entry a void names (by id or order reference), None if none
    was found; ``order_reference_used`` says an earn with this order reference exists.
    """

    original: OriginalEntry | None = None
    order_reference_used: bool = False
