"""A card's numbers stay where its columns hold them: an op may land on a bound, never
cross it; a card somehow past one may still move back towards it."""

from dataclasses import replace

import pytest

from common.bounds import MAX_POINTS_BALANCE, MAX_STAMP_COUNT, MAX_TOTAL, crossed_bound
from common.codes import Reason
from common.operations import AddStamp, AdjustPoints, EarnPoints, RedeemPoints
from common.outcome import Applied, Rejected
from common.rules import decide
from tests.domain.builders import NUMBER, card, ctx


@pytest.mark.parametrize(
    ("field", "limit", "name"),
    [
        ("points_balance", MAX_POINTS_BALANCE, "points_balance"),
        ("stamp_count", MAX_STAMP_COUNT, "stamp_count"),
    ],
)
@pytest.mark.parametrize("sign", [1, -1])
def test_a_balance_may_reach_its_bound_but_not_cross_it(field, limit, name, sign):
    below = card(**{field: sign * (limit - 1)})

    assert crossed_bound(below, replace(below, **{field: sign * limit})) is None
    assert crossed_bound(below, replace(below, **{field: sign * (limit + 1)})) == name


@pytest.mark.parametrize(
    ("field", "limit"), [("points_balance", MAX_POINTS_BALANCE), ("stamp_count", MAX_STAMP_COUNT)]
)
def test_a_card_past_a_bound_may_move_back_but_not_further(field, limit):
    past = card(**{field: limit + 10})

    assert crossed_bound(past, replace(past, **{field: limit + 5})) is None
    assert crossed_bound(past, replace(past, **{field: limit + 10})) is None
    assert crossed_bound(past, replace(past, **{field: limit + 11})) == field


@pytest.mark.parametrize(
    "total",
    [
        "total_points_earned",
        "points_redeemed",
        "total_stamps_earned",
        "stamps_redeemed",
        "total_stamps_voided",
        "total_points_voided",
        "total_points_adjusted",
    ],
)
def test_a_lifetime_total_may_reach_2_to_the_62_but_not_pass_it(total):
    start = card()

    assert crossed_bound(start, replace(start, **{total: MAX_TOTAL})) is None
    assert crossed_bound(start, replace(start, **{total: MAX_TOTAL + 1})) == total
    assert crossed_bound(start, replace(start, **{total: -MAX_TOTAL - 1})) == total


def test_an_earn_landing_on_the_largest_balance_applies_and_one_past_it_is_refused():
    rules = ctx(points_per_currency_unit=1000)
    almost = card(points_balance=MAX_POINTS_BALANCE - 10, total_points_earned=5)

    exact = decide(rules, almost, EarnPoints(card_number=NUMBER, purchase_amount_cents=1))
    over = decide(rules, almost, EarnPoints(card_number=NUMBER, purchase_amount_cents=2))

    assert isinstance(exact, Applied)
    assert exact.card.points_balance == MAX_POINTS_BALANCE
    assert isinstance(over, Rejected)
    assert over.code is Reason.BALANCE_LIMIT
    assert over.detail == {"bound": "points_balance"}


def test_a_card_over_the_bound_can_still_redeem_and_be_adjusted_down():
    rich = card(points_balance=MAX_POINTS_BALANCE + 50)

    spent = decide(ctx(), rich, RedeemPoints(card_number=NUMBER, reward_id="coffee"))
    lowered = decide(ctx(), rich, AdjustPoints(card_number=NUMBER, points_delta=-5, reason="r"))
    raised = decide(ctx(), rich, AdjustPoints(card_number=NUMBER, points_delta=5, reason="r"))

    assert isinstance(spent, Applied)
    assert isinstance(lowered, Applied)
    assert isinstance(raised, Rejected)
    assert raised.code is Reason.BALANCE_LIMIT


def test_a_stamp_past_the_largest_count_is_refused():
    full = card(stamp_count=MAX_STAMP_COUNT)

    refused = decide(ctx(cooldown_minutes=0), full, AddStamp(card_number=NUMBER))

    assert isinstance(refused, Rejected)
    assert refused.detail == {"bound": "stamp_count"}
