"""Stamps: one per visit, not twice within the cooldown, at most N per local day."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.codes import Reason
from common.ledger import TransactionType
from common.operations import AddStamp, RedeemStamps
from common.outcome import Applied, Rejected
from common.program import LoyaltyType
from common.rules import decide
from common.rules.stamps import stamp_availability
from tests.domain.builders import NOON, NUMBER, card, ctx

STAMP = AddStamp(card_number=NUMBER)


def test_a_stamp_counts_everywhere_and_writes_a_ledger_entry():
    result = decide(ctx(), card(), STAMP)

    assert isinstance(result, Applied)
    new = result.card
    assert (new.stamp_count, new.total_stamps_earned, new.stamps_on_day) == (1, 1, 1)
    assert (new.stamps_day, new.last_stamp_at) == (NOON.date(), NOON)
    (entry,) = result.entries
    assert (entry.type, entry.stamps_delta, entry.stamp_count_after) == (
        TransactionType.STAMP_EARNED,
        1,
        1,
    )


def test_the_cooldown_ends_exactly_after_cooldown_minutes():
    last = card(last_stamp_at=NOON)

    at_edge = decide(ctx(NOON + timedelta(minutes=15)), last, STAMP)
    just_before = decide(ctx(NOON + timedelta(minutes=15) - timedelta(seconds=1)), last, STAMP)

    assert isinstance(at_edge, Applied)
    assert isinstance(just_before, Rejected)
    assert just_before.code is Reason.COOLDOWN_ACTIVE
    assert just_before.detail["cooldown_ends_at"] == (NOON + timedelta(minutes=15)).isoformat()


def test_a_late_offline_stamp_is_measured_against_the_latest_stamp_either_way():
    last = card(last_stamp_at=NOON, stamps_day=NOON.date(), stamps_on_day=1)

    ten_min_earlier = decide(ctx(NOON - timedelta(minutes=10)), last, STAMP)
    hour_earlier = decide(ctx(NOON - timedelta(hours=1)), last, STAMP)

    assert isinstance(ten_min_earlier, Rejected)
    assert isinstance(hour_earlier, Applied)
    assert hour_earlier.card.last_stamp_at == NOON  # the latest stays the latest


def test_the_daily_limit_refuses_the_stamp_after_the_last_allowed():
    third = card(stamps_day=NOON.date(), stamps_on_day=2)
    full = card(stamps_day=NOON.date(), stamps_on_day=3)

    assert isinstance(decide(ctx(), third, STAMP), Applied)
    refused = decide(ctx(), full, STAMP)
    assert isinstance(refused, Rejected)
    assert refused.code is Reason.DAILY_STAMP_LIMIT


@pytest.mark.parametrize(
    ("timezone", "utc_moment", "local_day"),
    [
        ("Europe/Paris", datetime(2026, 6, 15, 21, 59, tzinfo=UTC), date(2026, 6, 15)),
        ("Europe/Paris", datetime(2026, 6, 15, 22, 0, tzinfo=UTC), date(2026, 6, 16)),
        ("America/New_York", datetime(2026, 6, 16, 3, 59, tzinfo=UTC), date(2026, 6, 15)),
        ("America/New_York", datetime(2026, 6, 16, 4, 0, tzinfo=UTC), date(2026, 6, 16)),
    ],
)
def test_the_day_boundary_is_midnight_in_the_store_time_zone(timezone, utc_moment, local_day):
    full_on_the_15th = card(stamps_day=date(2026, 6, 15), stamps_on_day=3)

    result = decide(ctx(utc_moment, timezone), full_on_the_15th, STAMP)

    if local_day == date(2026, 6, 15):
        assert isinstance(result, Rejected)
        assert result.code is Reason.DAILY_STAMP_LIMIT
    else:
        assert isinstance(result, Applied)
        assert (result.card.stamps_day, result.card.stamps_on_day) == (local_day, 1)


def test_a_stamp_dated_on_an_earlier_day_keeps_todays_count():
    today = card(stamps_day=NOON.date(), stamps_on_day=3)

    result = decide(ctx(NOON - timedelta(days=1)), today, STAMP)

    assert isinstance(result, Applied)
    assert (result.card.stamps_day, result.card.stamps_on_day) == (NOON.date(), 3)


def test_redeeming_at_exactly_the_target_empties_the_card():
    result = decide(ctx(), card(stamp_count=10), RedeemStamps(card_number=NUMBER))

    assert isinstance(result, Applied)
    assert (result.card.stamp_count, result.card.stamps_redeemed) == (0, 10)
    assert result.entries[0].reward_name == "Free coffee"
    assert result.entries[0].stamps_delta == -10


def test_redeeming_keeps_stamps_beyond_the_target_and_refuses_one_short():
    over = decide(ctx(), card(stamp_count=12), RedeemStamps(card_number=NUMBER))
    short = decide(ctx(), card(stamp_count=9), RedeemStamps(card_number=NUMBER))

    assert isinstance(over, Applied)
    assert over.card.stamp_count == 2
    assert isinstance(short, Rejected)
    assert short.code is Reason.INSUFFICIENT_STAMPS


def test_availability_tells_the_cashier_what_a_stamp_would_do():
    status = stamp_availability(
        ctx(NOON + timedelta(minutes=5)),
        card(last_stamp_at=NOON, stamps_day=NOON.date(), stamps_on_day=3),
    )

    assert status.can_stamp is False
    assert status.cooldown_ends_at == NOON + timedelta(minutes=15)
    assert (status.stamps_today, status.can_earn_more_today) == (3, False)


def test_an_offline_stamp_redemption_the_card_no_longer_covers_is_recorded_when_allowed():
    """Planted bug this kills: redeem_stamps refusing every overdraft (the offline
    policy 'allow' would then drop a reward the customer already took)."""
    overdraft = replace(ctx(), allow_overdraft=True)

    result = decide(overdraft, card(stamp_count=4), RedeemStamps(card_number=NUMBER))

    assert isinstance(result, Applied)
    assert (result.card.stamp_count, result.card.stamps_redeemed) == (-6, 10)
    assert result.entries[0].stamps_delta == -10


@settings(max_examples=300, deadline=None)
@given(
    active=st.booleans(),
    program_active=st.booleans(),
    kind=st.sampled_from(list(LoyaltyType)),
    minutes_since=st.one_of(st.none(), st.integers(min_value=-60, max_value=60)),
    on_day=st.integers(min_value=0, max_value=6),
    cooldown=st.sampled_from([0, 15]),
)
def test_availability_always_agrees_with_the_decision_it_announces(
    active, program_active, kind, minutes_since, on_day, cooldown
):
    """Planted bugs this kills: can_stamp ignoring an inactive card, a paused program, a
    points-only program, the cooldown or the daily limit."""
    context = ctx(
        NOON,
        is_active=program_active,
        loyalty_type=kind,
        cooldown_minutes=cooldown,
        max_daily_stamps=5,
    )
    last = None if minutes_since is None else NOON - timedelta(minutes=minutes_since)
    state = card(is_active=active, last_stamp_at=last, stamps_day=NOON.date(), stamps_on_day=on_day)

    status = stamp_availability(context, state)

    assert status.can_stamp == isinstance(decide(context, state, STAMP), Applied)
