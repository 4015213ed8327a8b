"""Each rule's whole answer, compared as a value: the card after it, every ledger field,
and a refusal's code and detail. Mutation testing of common/ found rules whose tests
looked only at a balance or a code, so a wrong `last_activity_at`, a missing note, a
wrong detail or an off-by-one at a limit went unnoticed; these kill those mutants."""

from dataclasses import replace
from datetime import timedelta

import pytest

from common.codes import Reason
from common.ledger import EntryDraft, OriginalEntry, TransactionType
from common.operations import (
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
from common.outcome import Applied, reject
from common.rules import Facts, decide
from tests.domain.builders import NOON, NUMBER, card, ctx

EARLIER = NOON - timedelta(days=3)
STAMPED = card(
    stamp_count=4,
    total_stamps_earned=6,
    total_stamps_voided=1,
    stamps_redeemed=0,
    points_balance=70,
    total_points_earned=80,
    total_points_voided=10,
    last_activity_at=EARLIER,
    last_points_at=EARLIER,
)


def _stamps_original(delta: int = 1, voided: int = 0, kind=TransactionType.STAMP_EARNED):
    return Facts(
        original=OriginalEntry(
            id=7, type=kind, stamps_delta=delta, points_delta=0, stamps_already_voided=voided
        )
    )


def _points_original(delta: int = 30, voided: int = 0, kind=TransactionType.POINTS_EARNED):
    return Facts(
        original=OriginalEntry(
            id=9, type=kind, stamps_delta=0, points_delta=delta, points_already_voided=voided
        )
    )


# -- stamp voids ------------------------------------------------------------------------


def test_voiding_a_count_of_stamps_answers_exactly():
    op = VoidStamps(card_number=NUMBER, stamps_to_void=2, notes="returned")

    result = decide(ctx(), STAMPED, op)

    after = replace(STAMPED, stamp_count=2, total_stamps_voided=3, last_activity_at=NOON)
    entry = EntryDraft(
        type=TransactionType.STAMP_VOIDED,
        stamps_delta=-2,
        stamp_count_after=2,
        points_balance_after=70,
        notes="returned",
    )
    assert result == Applied(after, (entry,))


def test_voiding_one_stamp_entry_links_to_it_and_takes_back_what_is_left_of_it():
    op = VoidStamps(card_number=NUMBER, original_transaction_id=7)

    result = decide(ctx(), STAMPED, op, _stamps_original(delta=3, voided=1))

    after = replace(STAMPED, stamp_count=2, total_stamps_voided=3, last_activity_at=NOON)
    entry = EntryDraft(
        type=TransactionType.STAMP_VOIDED,
        stamps_delta=-2,
        stamp_count_after=2,
        points_balance_after=70,
        related_transaction_id=7,
    )
    assert result == Applied(after, (entry,))


@pytest.mark.parametrize(
    ("state", "op", "facts", "expected"),
    [
        (
            STAMPED,
            VoidStamps(card_number=NUMBER, stamps_to_void=6),
            Facts(),
            reject(Reason.VOID_EXCEEDS_EARNED, requested=6, voidable=5),
        ),
        (
            replace(STAMPED, stamp_count=4),
            VoidStamps(card_number=NUMBER, stamps_to_void=5),
            Facts(),
            reject(Reason.INSUFFICIENT_STAMPS, stamp_count=4, needed=5),
        ),
        (
            STAMPED,
            VoidStamps(card_number=NUMBER, original_transaction_id=7),
            Facts(),
            reject(Reason.ORIGINAL_TRANSACTION_NOT_FOUND),
        ),
        (
            STAMPED,
            VoidStamps(card_number=NUMBER, original_transaction_id=7),
            _stamps_original(kind=TransactionType.POINTS_EARNED),
            reject(Reason.ORIGINAL_TRANSACTION_NOT_VOIDABLE),
        ),
        (
            STAMPED,
            VoidStamps(card_number=NUMBER, original_transaction_id=7),
            _stamps_original(delta=1, voided=1),
            reject(Reason.ALREADY_VOIDED),
        ),
    ],
    ids=["exceeds-earned", "more-than-held", "not-found", "not-voidable", "already-voided"],
)
def test_stamp_void_refusals_say_exactly_why(state, op, facts, expected):
    assert decide(ctx(), state, op, facts) == expected


def test_a_stamp_void_of_exactly_what_is_voidable_and_held_applies():
    exact = replace(STAMPED, stamp_count=5)

    result = decide(ctx(), exact, VoidStamps(card_number=NUMBER, stamps_to_void=5))

    assert isinstance(result, Applied)
    assert result.card.stamp_count == 0


# -- stamp redemption -------------------------------------------------------------------


def test_redeeming_stamps_answers_exactly():
    full = replace(STAMPED, stamp_count=11, stamps_redeemed=10)

    result = decide(ctx(), full, RedeemStamps(card_number=NUMBER, notes="latte"))

    after = replace(
        full, stamp_count=1, stamps_redeemed=20, last_redemption_at=NOON, last_activity_at=NOON
    )
    entry = EntryDraft(
        type=TransactionType.STAMP_REDEEMED,
        stamps_delta=-10,
        stamp_count_after=1,
        points_balance_after=70,
        reward_name="Free coffee",
        notes="latte",
    )
    assert result == Applied(after, (entry,))
    assert decide(ctx(), replace(full, stamp_count=9), RedeemStamps(card_number=NUMBER)) == reject(
        Reason.INSUFFICIENT_STAMPS, stamp_count=9, needed=10
    )


# -- points -----------------------------------------------------------------------------


def test_earning_answers_exactly():
    op = EarnPoints(
        card_number=NUMBER, purchase_amount_cents=1299, order_reference="R-1", notes="n"
    )

    result = decide(ctx(), STAMPED, op)

    after = replace(
        STAMPED,
        points_balance=82,
        total_points_earned=92,
        last_points_at=NOON,
        last_activity_at=NOON,
    )
    entry = EntryDraft(
        type=TransactionType.POINTS_EARNED,
        points_delta=12,
        stamp_count_after=4,
        points_balance_after=82,
        purchase_amount_cents=1299,
        order_reference="R-1",
        notes="n",
    )
    assert result == Applied(after, (entry,))
    assert decide(ctx(), STAMPED, op, Facts(order_reference_used=True)) == reject(
        Reason.DUPLICATE_ORDER_REFERENCE, order_reference="R-1"
    )
    assert decide(ctx(), STAMPED, op.model_copy(update={"purchase_amount_cents": 99})) == reject(
        Reason.NO_POINTS_FOR_AMOUNT
    )


def test_redeeming_a_reward_answers_exactly():
    rich = replace(STAMPED, points_balance=50, points_redeemed=5)

    result = decide(ctx(), rich, RedeemPoints(card_number=NUMBER, reward_id="coffee", notes="n"))

    after = replace(
        rich, points_balance=0, points_redeemed=55, last_redemption_at=NOON, last_activity_at=NOON
    )
    entry = EntryDraft(
        type=TransactionType.POINTS_REDEEMED,
        points_delta=-50,
        stamp_count_after=4,
        points_balance_after=0,
        reward_id="coffee",
        reward_name="Coffee",
        notes="n",
    )
    assert result == Applied(after, (entry,))


@pytest.mark.parametrize(
    ("reward", "balance", "expected"),
    [
        ("nope", 500, reject(Reason.REWARD_NOT_FOUND, reward_id="nope")),
        ("mug", 500, reject(Reason.REWARD_INACTIVE, reward_id="mug")),
        ("coffee", 49, reject(Reason.INSUFFICIENT_POINTS, points_balance=49, needed=50)),
    ],
)
def test_reward_refusals_say_exactly_why(reward, balance, expected):
    state = replace(STAMPED, points_balance=balance)

    assert decide(ctx(), state, RedeemPoints(card_number=NUMBER, reward_id=reward)) == expected


def test_voiding_an_earn_links_to_it_and_takes_back_what_is_left():
    op = VoidPoints(card_number=NUMBER, original_transaction_id=9, notes="refund")

    result = decide(ctx(), STAMPED, op, _points_original(delta=30, voided=5))

    after = replace(STAMPED, points_balance=45, total_points_voided=35, last_activity_at=NOON)
    entry = EntryDraft(
        type=TransactionType.POINTS_VOIDED,
        points_delta=-25,
        stamp_count_after=4,
        points_balance_after=45,
        related_transaction_id=9,
        notes="refund",
    )
    assert result == Applied(after, (entry,))


def test_voiding_by_order_reference_records_the_reference():
    op = VoidPoints(card_number=NUMBER, order_reference="R-9")

    result = decide(ctx(), STAMPED, op, _points_original(delta=20))

    assert isinstance(result, Applied)
    assert result.entries[0].order_reference == "R-9"
    assert result.entries[0].points_delta == -20


@pytest.mark.parametrize(
    ("op", "facts", "expected"),
    [
        (
            VoidPoints(card_number=NUMBER, points_to_void=71),
            Facts(),
            reject(Reason.VOID_EXCEEDS_EARNED, requested=71, voidable=70),
        ),
        (
            VoidPoints(card_number=NUMBER, original_transaction_id=9),
            Facts(),
            reject(Reason.ORIGINAL_TRANSACTION_NOT_FOUND),
        ),
        (
            VoidPoints(card_number=NUMBER, original_transaction_id=9),
            _points_original(kind=TransactionType.STAMP_EARNED),
            reject(Reason.ORIGINAL_TRANSACTION_NOT_VOIDABLE),
        ),
        (
            VoidPoints(card_number=NUMBER, original_transaction_id=9),
            _points_original(delta=30, voided=30),
            reject(Reason.ALREADY_VOIDED),
        ),
    ],
    ids=["exceeds-earned", "not-found", "not-voidable", "already-voided"],
)
def test_points_void_refusals_say_exactly_why(op, facts, expected):
    assert decide(ctx(), STAMPED, op, facts) == expected


def test_a_points_void_beyond_the_balance_is_refused_and_exactly_the_balance_applies():
    poor = replace(STAMPED, points_balance=20)

    over = decide(ctx(), poor, VoidPoints(card_number=NUMBER, points_to_void=21))
    exact = decide(ctx(), poor, VoidPoints(card_number=NUMBER, points_to_void=20))

    assert over == reject(Reason.INSUFFICIENT_POINTS, points_balance=20, needed=21)
    assert isinstance(exact, Applied)
    assert exact.card.points_balance == 0


def test_an_adjustment_answers_exactly_with_its_reason_and_note():
    op = AdjustPoints(card_number=NUMBER, points_delta=-70, reason="fraud", notes="see mail")

    result = decide(ctx(), STAMPED, op)

    after = replace(
        STAMPED,
        points_balance=0,
        total_points_adjusted=-70,
        last_points_at=NOON,
        last_activity_at=NOON,
    )
    entry = EntryDraft(
        type=TransactionType.POINTS_ADJUSTMENT,
        points_delta=-70,
        stamp_count_after=4,
        points_balance_after=0,
        notes="fraud — see mail",
    )
    assert result == Applied(after, (entry,))
    assert decide(ctx(), STAMPED, op.model_copy(update={"notes": None})).entries[0].notes == "fraud"
    assert decide(ctx(), STAMPED, op.model_copy(update={"points_delta": -71})) == reject(
        Reason.INSUFFICIENT_POINTS, points_balance=70, needed=71
    )


@pytest.mark.parametrize("delta", [100_001, -100_001, 0])
def test_an_adjustment_out_of_bounds_is_refused_even_if_the_schema_was_bypassed(delta):
    op = AdjustPoints.model_construct(
        card_number=NUMBER, points_delta=delta, reason="r", notes=None, type="points.adjust"
    )

    assert decide(ctx(), STAMPED, op) == reject(Reason.ADJUSTMENT_OUT_OF_BOUNDS, points_delta=delta)


# -- lifecycle --------------------------------------------------------------------------


def test_an_enrollment_answers_exactly_with_its_welcome_bonus():
    op = Enroll(card_number=NUMBER, customer=CustomerDetails(email="a@example.com"), notes="n")

    result = decide(ctx(), None, op)

    after = card(
        points_balance=10, total_points_earned=10, last_points_at=NOON, last_activity_at=NOON
    )
    entries = (
        EntryDraft(type=TransactionType.CARD_CREATED, notes="n"),
        EntryDraft(type=TransactionType.WELCOME_BONUS, points_delta=10, points_balance_after=10),
    )
    assert result == Applied(after, entries)


@pytest.mark.parametrize(("kind", "bonus"), [("stamps", 10), ("hybrid", 0)])
def test_no_welcome_bonus_without_points_or_without_a_bonus(kind, bonus):
    op = Enroll(card_number=NUMBER, customer=CustomerDetails(email="a@example.com"))

    result = decide(ctx(loyalty_type=kind, welcome_bonus_points=bonus), None, op)

    assert result == Applied(
        card(last_activity_at=NOON), (EntryDraft(type=TransactionType.CARD_CREATED),)
    )


def test_deactivating_and_reactivating_answer_exactly():
    off = decide(ctx(), STAMPED, Deactivate(card_number=NUMBER, notes="lost"))
    inactive = replace(STAMPED, is_active=False, last_activity_at=NOON)

    back = decide(ctx(), inactive, Reactivate(card_number=NUMBER, notes="found"))

    assert off == Applied(
        inactive,
        (
            EntryDraft(
                type=TransactionType.CARD_DEACTIVATED,
                stamp_count_after=4,
                points_balance_after=70,
                notes="lost",
            ),
        ),
    )
    assert back == Applied(
        replace(inactive, is_active=True),
        (
            EntryDraft(
                type=TransactionType.CARD_REACTIVATED,
                stamp_count_after=4,
                points_balance_after=70,
                notes="found",
            ),
        ),
    )
    assert decide(ctx(), STAMPED, Reactivate(card_number=NUMBER)) == reject(
        Reason.CARD_ALREADY_ACTIVE
    )
