"""Translate between the card row and the common CardState the rules work on."""

from common.card import CardState
from sync_server.models import Card

# The card columns that hold its CardState (everything but the number).
STATE_FIELDS: tuple[str, ...] = tuple(f for f in CardState.__slots__ if f != "card_number")


def state_of(card: Card) -> CardState:
    return CardState(card_number=card.card_number, **{f: getattr(card, f) for f in STATE_FIELDS})


def write_state(card: Card, state: CardState) -> None:
    for name in STATE_FIELDS:
        setattr(card, name, getattr(state, name))
