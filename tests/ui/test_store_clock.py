"""Times on the store's clock, named when this machine's clock differs (issue #12:
"times in the store's time zone everywhere, labelled where ambiguous")."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from desktop.ui.wording import store_date_time, store_time

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 11, 29, 22, 15, tzinfo=UTC)  # 23:15 in Paris (CET)


def test_a_till_in_the_stores_zone_shows_the_bare_time():
    """Caught: every time carried a zone name, even where no one could misread it."""
    assert store_time(AT, "Europe/Paris", here=PARIS) == "23:15"


def test_a_machine_in_another_zone_shows_the_stores_time_and_names_the_zone():
    """Caught: the time was the machine's (22:15), or the store's without its zone."""
    assert store_time(AT, "Europe/Paris", here=UTC) == "23:15 CET"
    summer = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
    assert store_time(summer, "Europe/Paris", here=UTC) == "23:30 CEST"


def test_a_zone_with_the_same_offset_is_not_named():
    """Same clock time, same reading: Berlin and Paris agree, so no label."""
    assert store_time(AT, "Europe/Paris", here=ZoneInfo("Europe/Berlin")) == "23:15"


def test_dates_and_a_missing_time():
    assert store_date_time(AT, "Europe/Paris").startswith("29 Nov 23:15")
    assert store_date_time(None, "Europe/Paris") == "—"


def test_an_unknown_zone_is_shown_as_utc_not_an_error():
    assert store_time(AT, "Mars/Olympus", here=PARIS) == "22:15 UTC"
