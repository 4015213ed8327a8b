"""The edges of the loyalty rules that mutation testing found unpinned: a rule's answer
exactly at its limit (1 point, the last voidable point, a bonus of 1), and the whole
answer of adding a stamp and of reactivating a card, as values (the till shows the
card it gets back, and the ledger keeps the entry)."""

from dataclasses import replace
from datetime import timedelta

from common.codes import Reason
from common.ledger import EntryDraft, OriginalEntry, TransactionType
from common.operations import (
    AddStamp,
    CustomerDetails,
    EarnPoints,
    Enroll,
    Reactivate,
    VoidPoints,
)
from common.outcome import Applied, reject
from common.rules import Facts, decide
from tests.domain.builders import NOON, NUMBER, card, ctx

EARLIER = NOON - timedelta(days=3)


def test_a_purchase_worth_exactly_one_point_earns_it() -> None:
    result = decide(ctx(), card(), EarnPoints(card_number=NUMBER, purchase_amount_cents=100))
    assert isinstance(result, Applied)
    assert result.card.points_balance == 1
    below = decide(ctx(), card(), EarnPoints(card_number=NUMBER, purchase_amount_cents=99))
    assert below == reject(Reason.NO_POINTS_FOR_AMOUNT)


def test_the_last_point_left_of_an_earn_can_be_voided() -> None:
    held = card(points_balance=30, total_points_earned=30, total_points_voided=29)
    original = OriginalEntry(
        id=9, type=TransactionType.POINTS_EARNED, stamps_delta=0, points_delta=30
    )
    op = VoidPoints(card_number=NUMBER, original_transaction_id=9)

    result = decide(ctx(), held, op, Facts(original=replace(original, points_already_voided=29)))

    assert isinstance(result, Applied)
    assert result.entries[0].points_delta == -1
    done = decide(ctx(), held, op, Facts(original=replace(original, points_already_voided=30)))
    assert done == reject(Reason.ALREADY_VOIDED)


def test_exactly_the_voidable_points_can_be_voided_and_one_more_cannot() -> None:
    held = card(points_balance=50, total_points_earned=40, total_points_adjusted=10)

    exact = decide(ctx(), held, VoidPoints(card_number=NUMBER, points_to_void=40))
    over = decide(ctx(), held, VoidPoints(card_number=NUMBER, points_to_void=41))

    assert isinstance(exact, Applied)
    assert exact.card.points_balance == 10
    assert over == reject(Reason.VOID_EXCEEDS_EARNED, requested=41, voidable=40)


def test_a_welcome_bonus_of_one_point_is_given() -> None:
    op = Enroll(card_number=NUMBER, customer=CustomerDetails(email="a@example.com"))
    result = decide(ctx(welcome_bonus_points=1), None, op)
    assert isinstance(result, Applied)
    assert result.card.points_balance == 1
    assert [e.type for e in result.entries] == [
        TransactionType.CARD_CREATED,
        TransactionType.WELCOME_BONUS,
    ]


def test_reactivating_a_card_answers_exactly() -> None:
    closed = card(is_active=False, stamp_count=2, points_balance=5, last_activity_at=EARLIER)

    result = decide(ctx(), closed, Reactivate(card_number=NUMBER, notes="found it"))

    assert result == Applied(
        replace(closed, is_active=True, last_activity_at=NOON),
        (
            EntryDraft(
                type=TransactionType.CARD_REACTIVATED,
                stamp_count_after=2,
                points_balance_after=5,
                notes="found it",
            ),
        ),
    )


def test_adding_a_stamp_answers_exactly() -> None:
    held = card(
        stamp_count=4,
        total_stamps_earned=4,
        stamps_day=NOON.date(),
        stamps_on_day=1,
        last_stamp_at=NOON - timedelta(hours=2),
        points_balance=7,
        last_activity_at=EARLIER,
    )

    result = decide(ctx(), held, AddStamp(card_number=NUMBER, notes="double shot"))

    after = replace(
        held,
        stamp_count=5,
        total_stamps_earned=5,
        stamps_on_day=2,
        last_stamp_at=NOON,
        last_activity_at=NOON,
    )
    entry = EntryDraft(
        type=TransactionType.STAMP_EARNED,
        stamps_delta=1,
        stamp_count_after=5,
        points_balance_after=7,
        notes="double shot",
    )
    assert result == Applied(after, (entry,))


def test_the_daily_stamp_limit_says_what_the_limit_is() -> None:
    full = card(stamps_day=NOON.date(), stamps_on_day=3)
    assert decide(ctx(max_daily_stamps=3), full, AddStamp(card_number=NUMBER)) == reject(
        Reason.DAILY_STAMP_LIMIT, max_daily_stamps=3
    )


def test_a_stamp_pushed_late_never_moves_the_card_s_activity_back() -> None:
    later = NOON + timedelta(hours=5)
    held = card(last_activity_at=later)

    result = decide(ctx(), held, AddStamp(card_number=NUMBER))

    assert isinstance(result, Applied)
    assert result.card.last_activity_at == later
