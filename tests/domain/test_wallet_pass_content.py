"""What a card's wallet pass shows, decided once for Apple and Google.

The pass shows the server's balance and the nearest reward; its barcode carries the
card's signed QR payload, never a balance. The worker re-renders a pass when its state
digest changes, so the digest must change with anything shown and with nothing else."""

from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.program import LoyaltyType, ProgramRules, Reward
from common.wallet_pass import PassContent, next_reward, pass_content
from tests.domain.builders import NUMBER, PROGRAM, card

QR = "LOYALTY1.signed-payload"


def shown(loyalty_type: LoyaltyType, **card_fields: Any) -> PassContent:
    return pass_content(
        serial_number="pass-1",
        program_name="Café Lune",
        rules=replace(PROGRAM, loyalty_type=loyalty_type),
        card=card(**card_fields),
        barcode_message=QR,
    )


def points_program(*rewards: Reward) -> ProgramRules:
    return replace(PROGRAM, loyalty_type=LoyaltyType.POINTS, points_rewards=rewards)


# -- what the pass shows -----------------------------------------------------------------


def test_a_hybrid_card_s_pass_shows_both_balances_and_the_stamp_reward_ahead() -> None:
    assert shown(LoyaltyType.HYBRID, stamp_count=7, points_balance=62) == PassContent(
        serial_number="pass-1",
        program_name="Café Lune",
        card_number=NUMBER,
        barcode_message=QR,
        is_active=True,
        stamps=7,
        stamps_target=10,
        points=62,
        next_reward="Free coffee in 3 stamps",
    )


def test_a_points_only_pass_shows_no_stamps() -> None:
    content = shown(LoyaltyType.POINTS, stamp_count=7, points_balance=62)
    assert (content.stamps, content.stamps_target, content.points) == (None, None, 62)
    assert content.next_reward == "Cake at 120 points"


def test_a_stamps_only_pass_shows_no_points() -> None:
    content = shown(LoyaltyType.STAMPS, stamp_count=7, points_balance=62)
    assert (content.stamps, content.stamps_target, content.points) == (7, 10, None)


def test_a_closed_card_s_pass_says_so() -> None:
    assert shown(LoyaltyType.HYBRID, is_active=False).is_active is False


# -- the reward ahead --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        (0, "Free coffee in 10 stamps"),
        (8, "Free coffee in 2 stamps"),
        (9, "Free coffee in 1 stamp"),
        (10, "Free coffee: ready"),
        (12, "Free coffee: ready"),
    ],
)
def test_the_stamp_reward_counts_down_to_ready(stamps: int, expected: str) -> None:
    assert next_reward(PROGRAM, card(stamp_count=stamps)) == expected


def test_the_nearest_points_reward_is_the_cheapest_active_one_not_yet_affordable() -> None:
    rules = points_program(
        Reward("cake", "Cake", 120),
        Reward("mug", "Mug", 60, is_active=False),
        Reward("coffee", "Coffee", 50),
    )
    assert next_reward(rules, card(points_balance=0)) == "Coffee at 50 points"
    assert next_reward(rules, card(points_balance=49)) == "Coffee at 50 points"
    assert next_reward(rules, card(points_balance=50)) == "Cake at 120 points"
    assert next_reward(rules, card(points_balance=119)) == "Cake at 120 points"


def test_a_points_reward_the_balance_covers_is_ready() -> None:
    rules = points_program(Reward("coffee", "Coffee", 50))
    assert next_reward(rules, card(points_balance=50)) == "Coffee: ready"
    assert next_reward(rules, card(points_balance=500)) == "Coffee: ready"


def test_nothing_is_ahead_without_an_active_reward() -> None:
    assert next_reward(points_program(), card(points_balance=10)) is None
    only_retired = points_program(Reward("mug", "Mug", 10, is_active=False))
    assert next_reward(only_retired, card(points_balance=0)) is None


# -- the digest that decides a re-render -------------------------------------------------


def test_equal_content_has_an_equal_digest() -> None:
    first = shown(LoyaltyType.HYBRID, stamp_count=3)
    again = shown(LoyaltyType.HYBRID, stamp_count=3)
    assert first.state_digest() == again.state_digest()
    assert len(first.state_digest()) == 64


_CHANGED: dict[str, Any] = {
    "serial_number": "pass-2",
    "program_name": "Café Soleil",
    "card_number": "1000000000437",
    "barcode_message": "LOYALTY1.other",
    "is_active": False,
    "stamps": 8,
    "stamps_target": 12,
    "points": 63,
    "next_reward": "Free coffee in 2 stamps",
}


@pytest.mark.parametrize("name", [f.name for f in fields(PassContent)])
def test_anything_the_pass_shows_changes_the_digest(name: str) -> None:
    content = shown(LoyaltyType.HYBRID, stamp_count=7, points_balance=62)
    assert content.state_digest() != replace(content, **{name: _CHANGED[name]}).state_digest()
    emptied: dict[str, Any] = {name: None}
    assert content.state_digest() != replace(content, **emptied).state_digest()


_OPTIONAL = st.none() | st.integers(-(10**9), 10**9)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.builds(
        PassContent,
        serial_number=st.text(max_size=8),
        program_name=st.text(max_size=8),
        card_number=st.text(max_size=8),
        barcode_message=st.text(max_size=8),
        is_active=st.booleans(),
        stamps=_OPTIONAL,
        stamps_target=_OPTIONAL,
        points=_OPTIONAL,
        next_reward=st.none() | st.text(max_size=8),
    ),
    st.data(),
)
def test_two_passes_share_a_digest_exactly_when_they_show_the_same(
    content: PassContent, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from([f.name for f in fields(PassContent)]))
    other = replace(content, **{name: data.draw(st.from_type(type(getattr(content, name))))})
    same = other == content
    assert (other.state_digest() == content.state_digest()) is same
