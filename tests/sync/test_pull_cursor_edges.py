"""Which pull cursors the server takes back, at the edges: a cursor exactly at the
horizon (a till that is up to date) or a round of no width is still usable; a position
past the last entity, or a key outside 0..2^63-1, means a full resync.

Written against the mutants mutmut left alive in ``Cursor.usable``
(sync_server/sync/pull.py, docs/mutation.md): ``<=`` become ``<``, ``and`` become ``or``,
the key's lower bound moved to 1."""

import pytest

from sync_server.sync.pull import CURSOR_MAX_AGE_S, ENTITIES, Cursor

TILL = 7
NOW = 1_900_000_000.0
INT64_MAX = 2**63 - 1


def test_a_cursor_exactly_at_the_horizon_is_usable():
    """A till that pulled everything and nothing was written since: lo == horizon."""
    assert Cursor(t=TILL, lo=40, at=int(NOW)).usable(TILL, NOW, horizon=40)
    assert not Cursor(t=TILL, lo=41, at=int(NOW)).usable(TILL, NOW, horizon=40)


def test_a_round_of_no_width_is_usable_and_one_running_backwards_is_not():
    assert Cursor(t=TILL, lo=40, hi=40).usable(TILL, NOW, horizon=40)
    assert not Cursor(t=TILL, lo=40, hi=39).usable(TILL, NOW, horizon=40)
    assert not Cursor(t=TILL, lo=30, hi=41).usable(TILL, NOW, horizon=40)


@pytest.mark.parametrize(
    ("key", "usable"),
    [
        (None, True),
        ((0, 0), True),
        ((INT64_MAX, INT64_MAX), True),
        ((-1, 5), False),
        ((5, -1), False),
    ],
)
def test_a_key_is_usable_only_within_zero_and_two_to_the_63(key, usable):
    cursor = Cursor(t=TILL, lo=0, hi=40, e=1, k=key)

    assert cursor.usable(TILL, NOW, horizon=40) is usable


def test_a_position_past_the_last_entity_is_not_usable_even_without_a_key():
    last = len(ENTITIES) - 1

    assert Cursor(t=TILL, lo=0, hi=40, e=last).usable(TILL, NOW, horizon=40)
    assert not Cursor(t=TILL, lo=0, hi=40, e=last + 1).usable(TILL, NOW, horizon=40)


def test_a_finished_round_is_usable_up_to_its_age_limit_and_not_a_second_more():
    ended = int(NOW) - CURSOR_MAX_AGE_S

    assert Cursor(t=TILL, lo=5, at=ended).usable(TILL, NOW, horizon=40)
    assert not Cursor(t=TILL, lo=5, at=ended - 1).usable(TILL, NOW, horizon=40)


def test_a_cursor_round_trips_under_its_key_and_nothing_else():
    cursor = Cursor(t=TILL, lo=3, hi=40, e=2, k=(9, 12))
    text = cursor.encode("key-a")

    assert Cursor.decode(text, TILL, "key-a", NOW, 40) == (cursor, False)
    assert Cursor.decode(text, TILL, "key-b", NOW, 40) == (Cursor(t=TILL), True)
    assert Cursor.decode(text, TILL + 1, "key-a", NOW, 40) == (Cursor(t=TILL + 1), True)
    assert Cursor.decode(None, TILL, "key-a", NOW, 40) == (Cursor(t=TILL), False)
