"""Enrollment, deactivation and the guards every rule shares."""

import pytest

from common.codes import Reason
from common.ledger import TransactionType
from common.operations import (
    AddStamp,
    AdjustPoints,
    CustomerDetails,
    Deactivate,
    EarnPoints,
    Enroll,
    Reactivate,
    RedeemPoints,
    RedeemStamps,
    VoidPoints,
    VoidStamps,
)
from common.outcome import Applied, Rejected
from common.program import LoyaltyType
from common.rules import decide
from tests.domain.builders import NUMBER, card, ctx

ENROLL = Enroll(card_number=NUMBER, customer=CustomerDetails(email="a@example.com"))
STAMP_OPS = [
    AddStamp(card_number=NUMBER),
    RedeemStamps(card_number=NUMBER),
    VoidStamps(card_number=NUMBER, stamps_to_void=1),
]
POINT_OPS = [
    EarnPoints(card_number=NUMBER, purchase_amount_cents=100),
    RedeemPoints(card_number=NUMBER, reward_id="coffee"),
    VoidPoints(card_number=NUMBER, points_to_void=1),
    AdjustPoints(card_number=NUMBER, points_delta=1, reason="x"),
]
ALL_BUT_REACTIVATE = [*STAMP_OPS, *POINT_OPS, Deactivate(card_number=NUMBER)]


def test_enrolling_opens_a_card_with_the_welcome_bonus():
    result = decide(ctx(), None, ENROLL)

    assert isinstance(result, Applied)
    assert result.card.points_balance == 10
    assert [e.type for e in result.entries] == [
        TransactionType.CARD_CREATED,
        TransactionType.WELCOME_BONUS,
    ]
    assert result.entries[1].points_balance_after == 10


def test_a_stamps_only_program_gives_no_points_bonus():
    result = decide(ctx(loyalty_type=LoyaltyType.STAMPS), None, ENROLL)
    assert isinstance(result, Applied)
    assert [e.type for e in result.entries] == [TransactionType.CARD_CREATED]


def test_an_existing_card_cannot_be_enrolled_again_and_a_missing_one_not_used():
    again = decide(ctx(), card(), ENROLL)
    missing = decide(ctx(), None, AddStamp(card_number=NUMBER))
    assert isinstance(again, Rejected)
    assert again.code is Reason.CARD_ALREADY_EXISTS
    assert isinstance(missing, Rejected)
    assert missing.code is Reason.CARD_NOT_FOUND


@pytest.mark.parametrize("op", ALL_BUT_REACTIVATE, ids=lambda op: op.type)
def test_an_inactive_card_refuses_everything_but_reactivation(op):
    result = decide(
        ctx(),
        card(
            is_active=False,
            points_balance=500,
            stamp_count=10,
            total_stamps_earned=10,
            total_points_earned=500,
        ),
        op,
    )
    assert isinstance(result, Rejected)
    assert result.code is Reason.CARD_INACTIVE


def test_deactivate_then_reactivate_each_write_an_entry():
    off = decide(ctx(), card(), Deactivate(card_number=NUMBER))
    assert isinstance(off, Applied)
    on = decide(ctx(), off.card, Reactivate(card_number=NUMBER))
    twice = decide(ctx(), card(), Reactivate(card_number=NUMBER))

    assert isinstance(on, Applied)
    assert (off.entries[0].type, on.entries[0].type) == (
        TransactionType.CARD_DEACTIVATED,
        TransactionType.CARD_REACTIVATED,
    )
    assert isinstance(twice, Rejected)
    assert twice.code is Reason.CARD_ALREADY_ACTIVE


@pytest.mark.parametrize("op", STAMP_OPS, ids=lambda op: op.type)
def test_stamp_operations_need_a_stamps_program(op):
    result = decide(ctx(loyalty_type=LoyaltyType.POINTS), card(), op)
    assert isinstance(result, Rejected)
    assert result.code is Reason.STAMPS_NOT_ENABLED


@pytest.mark.parametrize("op", POINT_OPS, ids=lambda op: op.type)
def test_point_operations_need_a_points_program(op):
    result = decide(ctx(loyalty_type=LoyaltyType.STAMPS), card(), op)
    assert isinstance(result, Rejected)
    assert result.code is Reason.POINTS_NOT_ENABLED


def test_a_paused_program_refuses_everything():
    result = decide(ctx(is_active=False), None, ENROLL)
    assert isinstance(result, Rejected)
    assert result.code is Reason.PROGRAM_INACTIVE
