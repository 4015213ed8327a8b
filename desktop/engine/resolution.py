"""What a till may decide about an item of its attention list (docs/sync-protocol.md,
"Resolution"): dismiss any, re-apply only what the refused op asked. The server holds
a till to the same cap; asking here keeps a cashier from queueing a refusal."""

from typing import Literal

from common.operations import (
    MAX_ADJUSTMENT,
    AddStamp,
    EarnPoints,
    Operation,
    ResolutionDecision,
)
from common.program import ProgramRules

Action = Literal["reapply", "dismiss"]


def till_decision(
    op: Operation, action: Action, reason: str, rules: ProgramRules
) -> ResolutionDecision | None:
    """The decision for ``op``, or None when only the owner may make it: a re-apply of
    anything but a refused stamp or earn."""
    if action == "dismiss":
        return ResolutionDecision(action="dismiss", reason=reason)
    if isinstance(op, AddStamp):
        return ResolutionDecision(action="reapply", stamps_delta=1, reason=reason)
    if isinstance(op, EarnPoints):
        points = min(rules.points_for(op.purchase_amount_cents), MAX_ADJUSTMENT)
        if points > 0:
            return ResolutionDecision(action="reapply", points_delta=points, reason=reason)
    return None
