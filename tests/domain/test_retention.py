"""The window a till keeps settled ops and history for."""

from datetime import UTC, datetime, timedelta

import pytest

from common.retention import (
    DEFAULT_HISTORY_DAYS,
    MAX_HISTORY_DAYS,
    MIN_HISTORY_DAYS,
    history_days,
    prune_before,
)

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_no_setting_keeps_the_default_window():
    assert history_days(None) == DEFAULT_HISTORY_DAYS == 90


@pytest.mark.parametrize(
    ("setting", "kept"),
    [
        (MIN_HISTORY_DAYS - 1, MIN_HISTORY_DAYS),
        (MIN_HISTORY_DAYS, MIN_HISTORY_DAYS),
        (30, 30),
        (MAX_HISTORY_DAYS, MAX_HISTORY_DAYS),
        (MAX_HISTORY_DAYS + 1, MAX_HISTORY_DAYS),
        (0, MIN_HISTORY_DAYS),
        (-5, MIN_HISTORY_DAYS),
    ],
)
def test_a_setting_outside_the_bounds_is_held_to_them(setting, kept):
    assert history_days(setting) == kept


def test_what_is_dated_before_the_window_may_go():
    assert prune_before(NOW, 30) == NOW - timedelta(days=30)
    assert prune_before(NOW, None) == NOW - timedelta(days=90)
