"""What a rule needs besides the card and the operation."""

from dataclasses import dataclass
from datetime import datetime

from common.ledger import OriginalEntry
from common.program import ProgramRules, StoreClock


@dataclass(frozen=True, slots=True)
class RuleContext:
    program: ProgramRules
    clock: StoreClock
    now: datetime


@dataclass(frozen=True, slots=True)
class Facts:
    """Ledger facts the caller looks up under the card's lock before deciding.

    ``original`` is the entry a void names (by id or order reference), None if none
    was found; ``order_reference_used`` says an earn with this order reference exists.
    """

    original: OriginalEntry | None = None
    order_reference_used: bool = False
