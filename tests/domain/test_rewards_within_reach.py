"""The rewards a card can be given now: what the till offers and the store API lists.
A retired reward is never offered, and a balance that exactly covers a reward reaches it."""

from dataclasses import replace

from common.program import Reward
from tests.domain.builders import PROGRAM

COFFEE, CAKE, MUG = PROGRAM.points_rewards  # 50, 120, and a retired 10


def test_a_balance_reaches_every_active_reward_it_covers_exactly_or_more() -> None:
    assert PROGRAM.available_rewards(0) == ()
    assert PROGRAM.available_rewards(49) == ()
    assert PROGRAM.available_rewards(50) == (COFFEE,)
    assert PROGRAM.available_rewards(120) == (COFFEE, CAKE)


def test_a_retired_reward_is_never_offered() -> None:
    assert not MUG.is_active
    assert MUG not in PROGRAM.available_rewards(10_000)


def test_rewards_are_offered_in_the_program_s_order() -> None:
    rewards = (Reward("cake", "Cake", 120), Reward("coffee", "Coffee", 50))
    program = replace(PROGRAM, points_rewards=rewards)
    assert program.available_rewards(500) == rewards
