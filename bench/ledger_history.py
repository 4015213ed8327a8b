"""A year of a merchant's history for the benchmarks: every card's operations decided
by the same common/ rules the server runs, in time order across all cards, each entry
hash-chained as the server seals it. The output is COPY text, so seeding a million
entries costs seconds of Python and one COPY instead of a million API calls.

Pure Python over the common/ rules: no database here (bench/store_set.py loads it).
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from common.card import CardState
from common.ledger_chain import (
    GENESIS,
    HASHED_FIELDS,
    NULL_DIGEST,
    PERSONAL_FIELDS,
    PRIVACY_COLUMNS,
    digest_column,
    entry_hash_v2,
)
from common.operations import (
    AddStamp,
    CustomerDetails,
    Deactivate,
    EarnPoints,
    Enroll,
    Operation,
    Reactivate,
    RedeemPoints,
    RedeemStamps,
    VoidPoints,
    VoidStamps,
)
from common.outcome import Applied
from common.program import ProgramRules, StoreClock
from common.rules import RuleContext, decide

# The ledger's columns in COPY order: the hashed ones as common/ledger_chain.py names
# them, then the sync and chain bookkeeping (``_line`` writes them in this order).
LEDGER_COLUMNS = (
    *(name for name in HASHED_FIELDS if name != "chain_seq"),
    "change_txid",
    "chain_seq",
    "prev_hash",
    "entry_hash",
    "chain_version",
    *PRIVACY_COLUMNS,
)
# No personal data here: each personal field is NULL, without salt, with NULL_DIGEST.
_NO_PERSONAL = {column: None for column in PRIVACY_COLUMNS} | {
    digest_column(field): NULL_DIGEST for field in PERSONAL_FIELDS
}
_NO_PERSONAL_TEXT = "\t".join("\\N" if v is None else v for v in _NO_PERSONAL.values())
_HOME_SHARE = 0.7  # the share of a card's operations made at the store that enrolled it


@dataclass(frozen=True)
class Shape:
    """What to make: ``cards`` cards with ids from ``first_card_id``, about ``entries``
    ledger entries in all (one creation entry per card included), spread over the
    ``staff`` PIN ids of each store (store id: its PIN ids) during the year before
    ``until``."""

    merchant_id: int
    cards: int
    entries: int
    staff: dict[int, list[int]]
    until: datetime
    first_card_id: int = 1
    first_entry_id: int = 1
    seed: int = 7


@dataclass
class History:
    """What the ledger ends with: each card's state, where and when it was enrolled,
    the count of entries per store, and the chain's head."""

    cards: dict[int, CardState] = field(default_factory=dict)
    home: dict[int, int] = field(default_factory=dict)
    enrolled_at: dict[int, datetime] = field(default_factory=dict)
    per_store: dict[int, int] = field(default_factory=dict)
    entries: int = 0
    head: str = GENESIS


def write(
    shape: Shape, rules: ProgramRules, numbers: dict[int, str], out: IO[str], txid: int
) -> History:
    """Write every entry as a COPY line (``LEDGER_COLUMNS``) to ``out``; ``numbers``:
    card id to card number."""
    rng = random.Random(shape.seed)
    clock = StoreClock("Europe/Paris")
    history = History()
    stores = sorted(shape.staff)
    entry_id = shape.first_entry_id
    for when, card_id in _events(shape, rng):
        card = history.cards.get(card_id)
        if card is None:
            home = history.home[card_id] = rng.choice(stores)
            history.enrolled_at[card_id] = when
            store = home
        else:
            store = history.home[card_id] if rng.random() < _HOME_SHARE else rng.choice(stores)
        op = _next_op(rules, card, numbers[card_id], entry_id, rng)
        decision = decide(RuleContext(program=rules, clock=clock, now=when), card, op)
        if not isinstance(decision, Applied):
            continue
        history.cards[card_id] = decision.card
        for draft in decision.entries:
            entry: dict[str, Any] = {
                "id": entry_id,
                "merchant_id": shape.merchant_id,
                "card_id": card_id,
                "store_id": store,
                "staff_pin_id": rng.choice(shape.staff[store]),
                "user_id": None,
                "type": draft.type.value,
                "stamps_delta": draft.stamps_delta,
                "points_delta": draft.points_delta,
                "stamp_count_after": draft.stamp_count_after,
                "points_balance_after": draft.points_balance_after,
                "purchase_amount_cents": draft.purchase_amount_cents,
                "order_reference": draft.order_reference,
                "reward_id": draft.reward_id,
                "reward_name": draft.reward_name,
                "related_transaction_id": draft.related_transaction_id,
                "client_time": when,
                "created_at": when,
                "notes": None,
                "ip_address": None,
                "user_agent": None,
                **_NO_PERSONAL,
                "change_txid": txid,
                "chain_seq": entry_id - shape.first_entry_id + 1,
                "prev_hash": history.head,
            }
            entry["entry_hash"] = history.head = entry_hash_v2(history.head, entry)
            out.write(_line(entry))
            history.per_store[store] = history.per_store.get(store, 0) + 1
            history.entries += 1
            entry_id += 1
    return history


def copy_text(value: object) -> str:
    """One value in COPY's text format (the values made here need no escaping)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _line(entry: dict[str, Any]) -> str:
    """``LEDGER_COLUMNS`` of one entry as a COPY line; the written-out form of
    ``"\\t".join(map(copy_text, ...))``, which was a third of the seeding time."""
    n = copy_text
    e = entry
    when = e["created_at"].isoformat()
    return (
        f"{e['id']}\t{e['merchant_id']}\t{e['card_id']}\t{e['store_id']}\t{n(e['staff_pin_id'])}"
        f"\t\\N\t{e['type']}\t{e['stamps_delta']}\t{e['points_delta']}"
        f"\t{e['stamp_count_after']}\t{e['points_balance_after']}"
        f"\t{n(e['purchase_amount_cents'])}\t{n(e['order_reference'])}\t{n(e['reward_id'])}"
        f"\t{n(e['reward_name'])}\t{n(e['related_transaction_id'])}\t{when}\t{when}"
        f"\t\\N\t\\N\t\\N\t{e['change_txid']}\t{e['chain_seq']}"
        f"\t{e['prev_hash']}\t{e['entry_hash']}\t2\t{_NO_PERSONAL_TEXT}\n"
    )


def _events(shape: Shape, rng: random.Random) -> Iterator[tuple[datetime, int]]:
    """(time, card id) of every operation, in time order: each card is enrolled some
    time in the year and used a random number of times after (about ``entries`` in
    all), the last one at least a day before ``until`` (no daily limit reaches today)."""
    start = (shape.until - timedelta(days=366)).timestamp()
    end = (shape.until - timedelta(days=1)).timestamp()
    mean = max(0.0, shape.entries / shape.cards - 1)
    events: list[tuple[float, int]] = []
    for card_id in range(shape.first_card_id, shape.first_card_id + shape.cards):
        enrolled = rng.uniform(start, start + 0.8 * (end - start))
        events.append((enrolled, card_id))
        uses = int(rng.uniform(0, 2 * mean) + 0.5)
        events.extend((rng.uniform(enrolled + 1, end), card_id) for _ in range(uses))
    events.sort()
    for stamp, card_id in events:
        yield datetime.fromtimestamp(round(stamp, 6), UTC), card_id


def _next_op(
    rules: ProgramRules, card: CardState | None, number: str, entry_id: int, rng: random.Random
) -> Operation:
    """What a customer does next with this card, given what it holds (so that almost
    every op applies: a bench history has few refusals, they write no entry)."""
    if card is None:
        email = f"customer{number}@store.example"
        return Enroll.model_construct(
            card_number=number, notes=None, customer=CustomerDetails.model_construct(email=email)
        )
    if not card.is_active:
        return Reactivate.model_construct(card_number=number, notes=None)
    roll = rng.random()
    affordable = [r for r in rules.points_rewards if r.points_required <= card.points_balance]
    if card.stamp_count >= rules.stamps_target and roll < 0.5:
        return RedeemStamps.model_construct(card_number=number, notes=None)
    if affordable and roll < 0.12:
        reward = rng.choice(affordable).id
        return RedeemPoints.model_construct(card_number=number, notes=None, reward_id=reward)
    if roll < 0.14 and card.points_balance > 0:
        amount = rng.randint(1, min(card.points_balance, 20))
        return VoidPoints.model_construct(
            card_number=number,
            notes=None,
            points_to_void=amount,
            original_transaction_id=None,
            order_reference=None,
        )
    if roll < 0.15 and card.stamp_count > 0:
        return VoidStamps.model_construct(
            card_number=number, notes=None, stamps_to_void=1, original_transaction_id=None
        )
    if roll < 0.152:
        return Deactivate.model_construct(card_number=number, notes=None)
    if roll < 0.58:
        return AddStamp.model_construct(card_number=number, notes=None)
    reference = f"h{entry_id}" if rng.random() < 0.5 else None
    return EarnPoints.model_construct(
        card_number=number,
        notes=None,
        purchase_amount_cents=rng.randint(150, 6000),
        order_reference=reference,
    )
