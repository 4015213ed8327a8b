"""What the cashier sees: the last pulled card, with the till's unsettled ops re-applied
by the same common/ rules the server will run (the rebase)."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from common.card import CardState
from common.operations import AcknowledgeAttention, ResolveAttention
from common.outcome import Applied
from common.rules import RuleContext, decide
from desktop.engine.facts import KnownEntry, facts_for, pending_entries, pulled_entries
from desktop.engine.local_store import LocalStore


@dataclass(frozen=True, slots=True)
class Projection:
    card: CardState | None
    known: list[KnownEntry]


def project(
    store: LocalStore, card_number: str, context_at: Callable[[datetime], RuleContext]
) -> Projection:
    with store.reading():
        state = store.snapshot_card(card_number)
        known = pulled_entries(store, store.card_id(card_number))
        waiting = store.unsettled(card_number)
    for entry in waiting:
        if isinstance(entry.op, AcknowledgeAttention | ResolveAttention):  # no card number
            continue
        ctx = context_at(entry.client_time)
        if entry.status == "applied":
            # The server took it (perhaps as an allowed offline over-spend): so do we.
            ctx = replace(ctx, allow_overdraft=True)
        decision = decide(ctx, state, entry.op, facts_for(entry.op, known))
        if isinstance(decision, Applied):
            state = decision.card
            known = known + pending_entries(entry.seq, decision.entries)
    return Projection(state, known)
