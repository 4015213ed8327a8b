"""Which card the cashier asked for last, and whether a late answer still belongs on
screen. Loads run in the background and may finish in any order; this decides which
one may be shown, without Qt.

Every search, open and close is a new *intent*; every card load is numbered. A load is
shown only while its intent is the current one and nothing newer has been shown: a
refresh asked for the previous customer never replaces (or keeps) the card the cashier
opened since, and an older refresh never overwrites a newer one of the same card.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ticket:
    intent: int
    load: int
    card_number: str | None


class CardIntent:
    def __init__(self) -> None:
        self._intent = 0
        self._loads = 0
        self._shown = 0
        self.card_number: str | None = None  # the card the cashier last opened

    def search(self) -> Ticket:
        """A lookup starts: whatever it finds replaces the open card."""
        self._intent += 1
        return self._ticket()

    def open(self, card_number: str) -> Ticket:
        self._intent += 1
        self.card_number = card_number
        return self._ticket()

    def refresh(self) -> Ticket | None:
        """A new load of the open card (after a sync round or an action), or None."""
        return None if self.card_number is None else self._ticket()

    def close(self) -> None:
        self._intent += 1
        self.card_number = None

    def current(self, ticket: Ticket) -> bool:
        """The ticket answers what the cashier asked for last."""
        return ticket.intent == self._intent

    def take(self, ticket: Ticket) -> bool:
        """May this load be shown? Yes once, if current and newer than the last shown."""
        if not self.current(ticket) or ticket.load < self._shown:
            return False
        self._shown = ticket.load
        return True

    def _ticket(self) -> Ticket:
        self._loads += 1
        return Ticket(self._intent, self._loads, self.card_number)
