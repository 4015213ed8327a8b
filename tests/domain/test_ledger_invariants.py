"""Whatever the sequence of operations, the ledger explains the balances exactly."""

import random
from datetime import timedelta

import pytest

from common.ledger import OriginalEntry, TransactionType
from common.operations import (
    AddStamp,
    AdjustPoints,
    Deactivate,
    EarnPoints,
    Reactivate,
    RedeemPoints,
    RedeemStamps,
    VoidPoints,
    VoidStamps,
)
from common.outcome import Applied
from common.rules import Facts, decide
from tests.domain.builders import NOON, NUMBER, card, ctx


def _random_op(rng: random.Random, earns: list[OriginalEntry]):
    kind = rng.randrange(10)
    if kind == 0:
        return AddStamp(card_number=NUMBER), Facts()
    if kind == 1:
        return RedeemStamps(card_number=NUMBER), Facts()
    if kind == 2:
        return VoidStamps(card_number=NUMBER, stamps_to_void=rng.randint(1, 3)), Facts()
    if kind in (3, 4):
        return EarnPoints(card_number=NUMBER, purchase_amount_cents=rng.randint(50, 9000)), Facts()
    if kind == 5:
        return RedeemPoints(
            card_number=NUMBER, reward_id=rng.choice(["coffee", "cake", "mug"])
        ), Facts()
    if kind == 6 and earns:
        original = rng.choice(earns)
        return VoidPoints(card_number=NUMBER, original_transaction_id=original.id), Facts(
            original=original
        )
    if kind == 7:
        return VoidPoints(card_number=NUMBER, points_to_void=rng.randint(1, 60)), Facts()
    if kind == 8:
        return AdjustPoints(
            card_number=NUMBER, points_delta=rng.randint(-80, 80) or 1, reason="r"
        ), Facts()
    return (
        Deactivate(card_number=NUMBER) if rng.random() < 0.5 else Reactivate(card_number=NUMBER)
    ), Facts()


@pytest.mark.parametrize("seed", range(8))
def test_balances_equal_the_sum_of_the_ledger_and_never_go_negative(seed):
    rng = random.Random(seed)
    state, now = card(), NOON
    stamps = points = 0
    earns: list[OriginalEntry] = []
    voided: dict[int, int] = {}
    for _ in range(400):
        now += timedelta(minutes=rng.choice([1, 20, 600]))
        op, facts = _random_op(rng, earns)
        if facts.original is not None:
            facts = Facts(
                original=OriginalEntry(
                    facts.original.id,
                    facts.original.type,
                    0,
                    facts.original.points_delta,
                    points_already_voided=voided.get(facts.original.id, 0),
                )
            )
        result = decide(ctx(now), state, op, facts)
        if not isinstance(result, Applied):
            continue
        state = result.card
        for entry in result.entries:
            stamps += entry.stamps_delta
            points += entry.points_delta
            assert (entry.stamp_count_after, entry.points_balance_after) == (stamps, points)
            if entry.type is TransactionType.POINTS_EARNED:
                earns.append(OriginalEntry(len(earns) + 1000, entry.type, 0, entry.points_delta))
            if entry.related_transaction_id is not None:
                voided[entry.related_transaction_id] = (
                    voided.get(entry.related_transaction_id, 0) - entry.points_delta
                )
        assert (state.stamp_count, state.points_balance) == (stamps, points)
        assert state.stamp_count >= 0
        assert state.points_balance >= 0
        assert state.total_points_voided <= state.total_points_earned
        assert (
            state.points_balance
            == state.total_points_earned
            - state.points_redeemed
            - state.total_points_voided
            + state.total_points_adjusted
        )
        assert (
            state.stamp_count
            == state.total_stamps_earned - state.stamps_redeemed - state.total_stamps_voided
        )
