"""Voids reverse exactly what the original did, once, and never more than was earned."""

from dataclasses import replace

import pytest
from pydantic import ValidationError

from common.codes import Reason
from common.ledger import OriginalEntry, TransactionType
from common.operations import VoidPoints, VoidStamps
from common.outcome import Applied, Rejected
from common.rules import Facts, decide
from tests.domain.builders import NUMBER, card, ctx

EARN = OriginalEntry(id=7, type=TransactionType.POINTS_EARNED, stamps_delta=0, points_delta=40)
STAMP = OriginalEntry(id=8, type=TransactionType.STAMP_EARNED, stamps_delta=1, points_delta=0)
EARNED = card(points_balance=100, total_points_earned=100, stamp_count=3, total_stamps_earned=3)


def test_void_points_by_amount_tracks_total_points_voided():
    result = decide(ctx(), EARNED, VoidPoints(card_number=NUMBER, points_to_void=30))
    assert isinstance(result, Applied)
    assert (result.card.points_balance, result.card.total_points_voided) == (70, 30)
    assert result.entries[0].related_transaction_id is None


def test_void_by_original_reverses_what_is_left_of_it_and_links_to_it():
    partly = replace(EARN, points_already_voided=15)
    result = decide(
        ctx(),
        EARNED,
        VoidPoints(card_number=NUMBER, original_transaction_id=7),
        Facts(original=partly),
    )

    assert isinstance(result, Applied)
    assert result.entries[0].points_delta == -25
    assert result.entries[0].related_transaction_id == 7


def test_void_by_order_reference_uses_the_earn_it_names():
    op = VoidPoints(card_number=NUMBER, order_reference="R-1")
    result = decide(ctx(), EARNED, op, Facts(original=EARN))
    assert isinstance(result, Applied)
    assert (result.card.points_balance, result.entries[0].order_reference) == (60, "R-1")


@pytest.mark.parametrize(
    ("state", "op", "facts", "code"),
    [
        (
            EARNED,
            VoidPoints(card_number=NUMBER, points_to_void=101),
            Facts(),
            Reason.VOID_EXCEEDS_EARNED,
        ),
        (
            card(points_balance=100, total_points_earned=100, total_points_voided=90),
            VoidPoints(card_number=NUMBER, points_to_void=11),
            Facts(),
            Reason.VOID_EXCEEDS_EARNED,
        ),
        (
            card(points_balance=20, total_points_earned=100),
            VoidPoints(card_number=NUMBER, points_to_void=21),
            Facts(),
            Reason.INSUFFICIENT_POINTS,
        ),
        (
            EARNED,
            VoidPoints(card_number=NUMBER, original_transaction_id=7),
            Facts(),
            Reason.ORIGINAL_TRANSACTION_NOT_FOUND,
        ),
        (
            EARNED,
            VoidPoints(card_number=NUMBER, original_transaction_id=8),
            Facts(original=STAMP),
            Reason.ORIGINAL_TRANSACTION_NOT_VOIDABLE,
        ),
        (
            EARNED,
            VoidPoints(card_number=NUMBER, original_transaction_id=7),
            Facts(
                original=OriginalEntry(
                    7, TransactionType.POINTS_EARNED, 0, 40, points_already_voided=40
                )
            ),
            Reason.ALREADY_VOIDED,
        ),
        (
            EARNED,
            VoidStamps(card_number=NUMBER, stamps_to_void=4),
            Facts(),
            Reason.VOID_EXCEEDS_EARNED,
        ),
        (
            card(stamp_count=0, total_stamps_earned=10, stamps_redeemed=10),
            VoidStamps(card_number=NUMBER, stamps_to_void=1),
            Facts(),
            Reason.INSUFFICIENT_STAMPS,
        ),
        (
            EARNED,
            VoidStamps(card_number=NUMBER, original_transaction_id=7),
            Facts(original=EARN),
            Reason.ORIGINAL_TRANSACTION_NOT_VOIDABLE,
        ),
        (
            EARNED,
            VoidStamps(card_number=NUMBER, original_transaction_id=8),
            Facts(
                original=OriginalEntry(
                    8, TransactionType.STAMP_EARNED, 1, 0, stamps_already_voided=1
                )
            ),
            Reason.ALREADY_VOIDED,
        ),
    ],
    ids=[
        "points beyond earned",
        "points beyond earned minus voided",
        "points beyond balance",
        "original missing",
        "original of wrong type",
        "original fully voided",
        "stamps beyond earned",
        "stamps beyond count",
        "stamp void naming a points earn",
        "stamp original fully voided",
    ],
)
def test_a_void_is_refused_when(state, op, facts, code):
    result = decide(ctx(), state, op, facts)
    assert isinstance(result, Rejected)
    assert result.code is code


def test_void_a_stamp_by_original():
    result = decide(
        ctx(),
        EARNED,
        VoidStamps(card_number=NUMBER, original_transaction_id=8),
        Facts(original=STAMP),
    )
    assert isinstance(result, Applied)
    assert (result.card.stamp_count, result.card.total_stamps_voided) == (2, 1)
    assert result.entries[0].related_transaction_id == 8


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"points_to_void": 1, "order_reference": "R"},
        {"points_to_void": 1, "original_transaction_id": 2},
    ],
)
def test_a_points_void_names_exactly_one_target(fields):
    with pytest.raises(ValidationError):
        VoidPoints(card_number=NUMBER, **fields)
