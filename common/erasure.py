"""Erasing a customer: what goes, and what becomes of their cards.

A person's request to be forgotten removes who they are (email, name, phone, the free
text typed about them, the network address and browser of the requests that touched
their card) and keeps what the merchant's books need: the card's balance and the
ledger's amounts. What the card does afterwards is the merchant's choice:

- ``close`` (the default): the card is deactivated, like a card reported lost; an op a
  till pushes for it later is refused ``CARD_INACTIVE``. A person who asked to leave the
  programme leaves it, and nobody can spend a balance that no longer has an owner.
- ``keep``: the card keeps working as an anonymous balance (whoever holds it uses it);
  ops pushed later are judged as for any active card.

An enrollment that brings the erased email back (an offline till that enrolled the
person again, or the person signing up anew) makes a new customer: the erased row has
no email left to match."""

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class CardPolicy(StrEnum):
    CLOSE = "close"
    KEEP = "keep"


DEFAULT_CARD_POLICY = CardPolicy.CLOSE

# The customer row's personal columns, set to NULL by an erasure.
CUSTOMER_FIELDS: tuple[str, ...] = ("email", "name", "phone")

# Keys of an op body that carry what a person typed or who the customer is.
_OP_PERSONAL_KEYS = ("notes", "note", "reason", "customer")


def card_policy(setting: str | None) -> CardPolicy:
    """The merchant's setting; NULL is the default."""
    return CardPolicy(setting) if setting is not None else DEFAULT_CARD_POLICY


def scrub_op_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """An op body without its personal parts: the enrolled customer's details and any
    free text become null; the card number, amounts and references stay (the
    idempotency record and the attention list still read)."""
    return {key: (None if key in _OP_PERSONAL_KEYS else value) for key, value in body.items()}


def erased_body_hash(body: Mapping[str, Any]) -> str:
    """What an erased op keeps instead of the hash of its body as sent, which would
    confirm a guessed email: the hash of the scrubbed body, in a domain of its own (it
    can never equal a plain body hash). A replay of the op still matches it, so the
    till gets its stored answer, not OP_ID_REUSED."""
    canonical = json.dumps(scrub_op_body(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"erased-op-body/1\n{canonical}".encode("ascii")).hexdigest()
