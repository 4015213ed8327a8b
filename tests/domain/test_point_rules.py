"""Points: earned per currency unit (rounded down), spent on active rewards."""

import pytest
from pydantic import ValidationError

from common.codes import Reason
from common.ledger import TransactionType
from common.operations import AdjustPoints, EarnPoints, RedeemPoints
from common.outcome import Applied, Rejected
from common.rules import Facts, decide
from tests.domain.builders import NUMBER, card, ctx


def earn(cents: int, ref: str | None = None) -> EarnPoints:
    return EarnPoints(card_number=NUMBER, purchase_amount_cents=cents, order_reference=ref)


@pytest.mark.parametrize(
    ("rate", "cents", "points"), [(1, 1299, 12), (3, 1299, 38), (1, 100, 1), (10, 5, 0)]
)
def test_points_are_whole_and_rounded_down(rate, cents, points):
    assert ctx(points_per_currency_unit=rate).program.points_for(cents) == points


def test_an_earn_adds_points_and_records_the_purchase():
    result = decide(ctx(), card(points_balance=5), earn(2550, "R-1"))

    assert isinstance(result, Applied)
    assert (result.card.points_balance, result.card.total_points_earned) == (30, 25)
    (entry,) = result.entries
    assert (entry.type, entry.points_delta, entry.purchase_amount_cents, entry.order_reference) == (
        TransactionType.POINTS_EARNED,
        25,
        2550,
        "R-1",
    )


def test_an_amount_worth_no_points_is_refused():
    result = decide(ctx(), card(), earn(99))
    assert isinstance(result, Rejected)
    assert result.code is Reason.NO_POINTS_FOR_AMOUNT


def test_an_order_reference_earns_once():
    again = decide(ctx(), card(), earn(1000, "R-1"), Facts(order_reference_used=True))
    without_reference = decide(ctx(), card(), earn(1000), Facts(order_reference_used=True))

    assert isinstance(again, Rejected)
    assert again.code is Reason.DUPLICATE_ORDER_REFERENCE
    assert isinstance(without_reference, Applied)


def test_redeeming_the_exact_balance_leaves_zero():
    result = decide(
        ctx(), card(points_balance=50), RedeemPoints(card_number=NUMBER, reward_id="coffee")
    )

    assert isinstance(result, Applied)
    assert (result.card.points_balance, result.card.points_redeemed) == (0, 50)
    assert (result.entries[0].reward_id, result.entries[0].reward_name) == ("coffee", "Coffee")


@pytest.mark.parametrize(
    ("balance", "reward", "code"),
    [
        (49, "coffee", Reason.INSUFFICIENT_POINTS),
        (999, "nope", Reason.REWARD_NOT_FOUND),
        (999, "mug", Reason.REWARD_INACTIVE),
    ],
)
def test_a_redemption_is_refused_when(balance, reward, code):
    result = decide(
        ctx(), card(points_balance=balance), RedeemPoints(card_number=NUMBER, reward_id=reward)
    )
    assert isinstance(result, Rejected)
    assert result.code is code


def test_an_offline_overdraft_is_allowed_only_when_the_context_says_so():
    from dataclasses import replace

    allowed = decide(
        replace(ctx(), allow_overdraft=True),
        card(points_balance=10),
        RedeemPoints(card_number=NUMBER, reward_id="coffee"),
    )
    assert isinstance(allowed, Applied)
    assert allowed.card.points_balance == -40


@pytest.mark.parametrize("delta", [100_000, -100_000, 1, -1])
def test_adjustments_up_to_the_bounds_are_accepted(delta):
    result = decide(
        ctx(),
        card(points_balance=100_000),
        AdjustPoints(card_number=NUMBER, points_delta=delta, reason="audit"),
    )
    assert isinstance(result, Applied)
    assert result.card.points_balance == 100_000 + delta
    assert result.card.total_points_adjusted == delta
    assert result.entries[0].notes == "audit"


@pytest.mark.parametrize("delta", [100_001, -100_001, 0])
def test_adjustments_beyond_the_bounds_or_zero_are_invalid(delta):
    with pytest.raises(ValidationError):
        AdjustPoints(card_number=NUMBER, points_delta=delta, reason="audit")


def test_an_adjustment_needs_a_reason_and_cannot_go_below_zero():
    with pytest.raises(ValidationError):
        AdjustPoints(card_number=NUMBER, points_delta=5, reason="")
    result = decide(
        ctx(),
        card(points_balance=10),
        AdjustPoints(card_number=NUMBER, points_delta=-11, reason="x"),
    )
    assert isinstance(result, Rejected)
    assert result.code is Reason.INSUFFICIENT_POINTS
