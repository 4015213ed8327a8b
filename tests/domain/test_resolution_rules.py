"""Re-applying a refused till op (docs/sync-protocol.md, "Resolution").

The owner or the till settles an attention item by granting (or taking back) what the
refused op was about, as a stamps or points adjustment that names the refused op and
carries the reason. It obeys the guards every rule obeys: an inactive program or card
refuses it, a balance never goes below zero, and no bound is crossed."""

from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.bounds import MAX_POINTS_BALANCE, MAX_STAMP_COUNT
from common.codes import Reason
from common.ledger import EntryDraft, TransactionType
from common.operations import MAX_ADJUSTMENT, MAX_STAMP_ADJUSTMENT, ResolveAttention
from common.outcome import Applied, Rejected, reject
from common.program import LoyaltyType
from common.rules.resolution import reapply
from tests.domain.builders import NOON, card, ctx

REFUSED_OP = UUID("6f1c0c4e-0000-4000-8000-000000000001")
EARLIER = NOON - timedelta(days=2)
HELD = card(
    stamp_count=4,
    total_stamps_earned=6,
    stamps_redeemed=1,
    total_stamps_voided=1,
    points_balance=70,
    total_points_earned=80,
    total_points_voided=10,
    last_points_at=EARLIER,
    last_activity_at=EARLIER,
)


def resolve(stamps: int | None = None, points: int | None = None) -> ResolveAttention:
    return ResolveAttention(
        op_id=REFUSED_OP,
        action="reapply",
        stamps_delta=stamps,
        points_delta=points,
        reason="scanner was down",
    )


def unchecked(**fields: Any) -> ResolveAttention:
    """An op built past its schema: the rule must stand on its own."""
    base: dict[str, Any] = {
        "op_id": REFUSED_OP,
        "action": "reapply",
        "reason": "r",
        "type": "attention.resolve",
    }
    base.update({"stamps_delta": None, "points_delta": None})
    return ResolveAttention.model_construct(**(base | fields))


# -- what a re-apply writes --------------------------------------------------------------


def test_granting_stamps_earns_them_and_names_the_refused_op() -> None:
    result = reapply(ctx(), HELD, resolve(stamps=3))

    after = replace(HELD, stamp_count=7, total_stamps_earned=9, last_activity_at=NOON)
    entry = EntryDraft(
        type=TransactionType.STAMPS_ADJUSTMENT,
        stamps_delta=3,
        stamp_count_after=7,
        points_balance_after=70,
        notes="scanner was down",
        related_op_id=str(REFUSED_OP),
    )
    assert result == Applied(after, (entry,))


def test_taking_stamps_back_voids_them() -> None:
    result = reapply(ctx(), HELD, resolve(stamps=-4))

    after = replace(HELD, stamp_count=0, total_stamps_voided=5, last_activity_at=NOON)
    entry = EntryDraft(
        type=TransactionType.STAMPS_ADJUSTMENT,
        stamps_delta=-4,
        stamp_count_after=0,
        points_balance_after=70,
        notes="scanner was down",
        related_op_id=str(REFUSED_OP),
    )
    assert result == Applied(after, (entry,))


@pytest.mark.parametrize("delta", [25, -70])
def test_a_points_re_apply_is_an_adjustment_dated_now(delta: int) -> None:
    result = reapply(ctx(), HELD, resolve(points=delta))

    after = replace(
        HELD,
        points_balance=70 + delta,
        total_points_adjusted=delta,
        last_points_at=NOON,
        last_activity_at=NOON,
    )
    entry = EntryDraft(
        type=TransactionType.POINTS_ADJUSTMENT,
        points_delta=delta,
        stamp_count_after=4,
        points_balance_after=70 + delta,
        notes="scanner was down",
        related_op_id=str(REFUSED_OP),
    )
    assert result == Applied(after, (entry,))


# -- refusals ----------------------------------------------------------------------------


def test_an_inactive_program_refuses_before_anything_else() -> None:
    closed = replace(HELD, is_active=False)
    assert reapply(ctx(is_active=False), closed, resolve(stamps=1)) == reject(
        Reason.PROGRAM_INACTIVE
    )


def test_an_inactive_card_refuses_a_re_apply() -> None:
    closed = replace(HELD, is_active=False)
    assert reapply(ctx(), closed, resolve(points=5)) == reject(Reason.CARD_INACTIVE)


def test_a_dismissal_is_not_a_re_apply() -> None:
    dismissal = ResolveAttention(op_id=REFUSED_OP, action="dismiss", reason="duplicate")
    assert reapply(ctx(), HELD, dismissal) == reject(Reason.INVALID_OPERATION, action="dismiss")


@pytest.mark.parametrize(
    ("loyalty_type", "op", "refusal"),
    [
        (LoyaltyType.POINTS, resolve(stamps=1), Reason.STAMPS_NOT_ENABLED),
        (LoyaltyType.STAMPS, resolve(points=1), Reason.POINTS_NOT_ENABLED),
    ],
)
def test_a_program_without_stamps_or_points_grants_none(
    loyalty_type: LoyaltyType, op: ResolveAttention, refusal: Reason
) -> None:
    assert reapply(ctx(loyalty_type=loyalty_type), HELD, op) == reject(refusal)


def test_a_re_apply_never_takes_a_balance_below_zero() -> None:
    assert reapply(ctx(), HELD, resolve(stamps=-5)) == reject(
        Reason.INSUFFICIENT_STAMPS, stamp_count=4, needed=5
    )
    assert reapply(ctx(), HELD, resolve(points=-71)) == reject(
        Reason.INSUFFICIENT_POINTS, points_balance=70, needed=71
    )


def test_exactly_the_largest_adjustment_applies() -> None:
    full = replace(HELD, stamp_count=MAX_STAMP_ADJUSTMENT, points_balance=MAX_ADJUSTMENT)
    assert isinstance(reapply(ctx(), full, resolve(stamps=-MAX_STAMP_ADJUSTMENT)), Applied)
    assert isinstance(reapply(ctx(), full, resolve(points=-MAX_ADJUSTMENT)), Applied)
    assert isinstance(reapply(ctx(), full, resolve(stamps=MAX_STAMP_ADJUSTMENT)), Applied)
    assert isinstance(reapply(ctx(), full, resolve(points=MAX_ADJUSTMENT)), Applied)


@pytest.mark.parametrize("delta", [0, MAX_STAMP_ADJUSTMENT + 1, -MAX_STAMP_ADJUSTMENT - 1])
def test_the_rule_refuses_a_stamp_amount_out_of_bounds_even_past_the_schema(delta: int) -> None:
    rich = replace(HELD, stamp_count=10 * MAX_STAMP_ADJUSTMENT)
    assert reapply(ctx(), rich, unchecked(stamps_delta=delta)) == reject(
        Reason.ADJUSTMENT_OUT_OF_BOUNDS, stamps_delta=delta
    )


@pytest.mark.parametrize("delta", [0, MAX_ADJUSTMENT + 1, -MAX_ADJUSTMENT - 1])
def test_the_rule_refuses_a_points_amount_out_of_bounds_even_past_the_schema(delta: int) -> None:
    rich = replace(HELD, points_balance=10 * MAX_ADJUSTMENT)
    assert reapply(ctx(), rich, unchecked(points_delta=delta)) == reject(
        Reason.ADJUSTMENT_OUT_OF_BOUNDS, points_delta=delta
    )


def test_a_re_apply_with_no_amount_past_the_schema_moves_nothing() -> None:
    assert reapply(ctx(), HELD, unchecked()) == reject(
        Reason.ADJUSTMENT_OUT_OF_BOUNDS, points_delta=0
    )


def test_a_re_apply_that_would_cross_a_bound_is_refused() -> None:
    near = replace(HELD, points_balance=MAX_POINTS_BALANCE - 5, stamp_count=MAX_STAMP_COUNT)
    assert reapply(ctx(), near, resolve(points=6)) == reject(
        Reason.BALANCE_LIMIT, bound="points_balance"
    )
    assert reapply(ctx(), near, resolve(stamps=1)) == reject(
        Reason.BALANCE_LIMIT, bound="stamp_count"
    )
    # Up to the bound itself is fine.
    assert isinstance(reapply(ctx(), near, resolve(points=5)), Applied)


# -- the general rule --------------------------------------------------------------------


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stamps=st.integers(0, 2000),
    points=st.integers(0, 200_000),
    kind=st.sampled_from(["stamps", "points"]),
    delta=st.integers(-MAX_ADJUSTMENT, MAX_ADJUSTMENT).filter(bool),
)
def test_a_re_apply_applies_exactly_when_the_balance_covers_it_and_the_books_balance(
    stamps: int, points: int, kind: str, delta: int
) -> None:
    before = card(stamp_count=stamps, total_stamps_earned=stamps, points_balance=points)
    before = replace(before, total_points_earned=points)
    if kind == "stamps":
        delta = max(-MAX_STAMP_ADJUSTMENT, min(MAX_STAMP_ADJUSTMENT, delta)) or 1
        result = reapply(ctx(), before, resolve(stamps=delta))
        held = stamps
    else:
        result = reapply(ctx(), before, resolve(points=delta))
        held = points

    if held + delta < 0:
        assert isinstance(result, Rejected)
        return
    assert isinstance(result, Applied)
    after = result.card
    (entry,) = result.entries
    # Every balance is still explained by its totals, and the entry says where it ends.
    assert after.stamp_count == (
        after.total_stamps_earned - after.stamps_redeemed - after.total_stamps_voided
    )
    assert after.points_balance == (
        after.total_points_earned
        - after.points_redeemed
        - after.total_points_voided
        + after.total_points_adjusted
    )
    assert (entry.stamps_delta, entry.points_delta) == (
        (delta, 0) if kind == "stamps" else (0, delta)
    )
    assert (entry.stamp_count_after, entry.points_balance_after) == (
        after.stamp_count,
        after.points_balance,
    )
    assert entry.related_op_id == str(REFUSED_OP)
    assert after.last_activity_at == NOON
