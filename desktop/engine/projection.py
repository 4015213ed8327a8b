"""What the cashier sees: the last pulled card, with the till's pending ops re-applied
by the same common/ rules the server will run (the rebase)."""

from collections.abc import Callable
from datetime import datetime

from common.card import CardState
from common.operations import EarnPoints
from common.outcome import Applied
from common.rules import Facts, RuleContext, decide
from desktop.engine.local_store import LocalStore, OutboxEntry


def project(
    store: LocalStore, card_number: str, context_at: Callable[[datetime], RuleContext]
) -> CardState | None:
    state = store.snapshot_card(card_number)
    refs: set[str] = set()
    for entry in store.entries("pending", card_number):
        decision = decide(context_at(entry.client_time), state, entry.op, _facts(entry, refs))
        if isinstance(decision, Applied):
            state = decision.card
            if isinstance(entry.op, EarnPoints) and entry.op.order_reference:
                refs.add(entry.op.order_reference)
    return state


def _facts(entry: OutboxEntry, refs: set[str]) -> Facts:
    if isinstance(entry.op, EarnPoints) and entry.op.order_reference:
        return Facts(order_reference_used=entry.op.order_reference in refs)
    return Facts()
