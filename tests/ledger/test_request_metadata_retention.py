"""`loyalty-server drop-request-metadata` erases the IP address and user agent of old
ledger entries, in batches, and the chain still verifies."""

import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from sync_server.db import make_engine, make_session_factory
from sync_server.ledger_retention import drop_request_metadata
from sync_server.migrate import upgrade
from tests.ledger.personal_history import AGENT, IP, note, shop_with_personal_entries
from tests.ledger.test_ledger_chain import SCRIPT, verify_ledger
from tests.ledger.test_ledger_privacy import entries


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'retention.db'}"
        upgrade(url)
        return url
    return request.getfixturevalue("pg_url")


def _days_ago(*days: int) -> list[datetime]:
    now = datetime.now(UTC)
    return [now - timedelta(days=d, minutes=i) for i, d in enumerate(days)]


def drop(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, "drop-request-metadata", *args],
        env={**os.environ, "DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_old_entries_lose_ip_and_user_agent_recent_ones_keep_them(shop_url):
    """Planted: a cutoff of `now + older_than` drops the recent entries' metadata too."""
    ids = shop_with_personal_entries(shop_url, _days_ago(40, 35, 10, 1))

    first = drop(shop_url, "--older-than-days", "30")
    second = drop(shop_url, "--older-than-days", "30")
    old, older, recent, today = entries(shop_url, ids)

    assert first.returncode == 0, first.stderr
    assert "dropped from 2 ledger entries older than 30 days" in first.stdout
    assert "dropped from 0 ledger entries" in second.stdout
    for entry in (old, older):
        assert (entry.ip_address, entry.user_agent) == (None, None)
        assert (entry.ip_address_salt, entry.user_agent_salt) == (None, None)
    assert (old.notes, older.notes) == (note(0), note(1))  # notes go only with the customer
    for entry in (recent, today):
        assert (entry.ip_address, entry.user_agent) == (IP, AGENT)
    result = verify_ledger(shop_url)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_period_defaults_to_the_server_setting(shop_url):
    ids = shop_with_personal_entries(shop_url, _days_ago(100, 20))

    by_default = drop(shop_url)  # 90 days
    by_setting = drop(shop_url, LOYALTY_REQUEST_METADATA_DAYS="14")
    kept = entries(shop_url, ids)

    assert "from 1 ledger entries older than 90 days" in by_default.stdout
    assert "from 1 ledger entries older than 14 days" in by_setting.stdout
    assert [e.ip_address for e in kept] == [None, None]


@pytest.mark.parametrize("days", ["0", "-3", "ninety"])
def test_a_period_that_is_not_a_positive_number_of_days_is_refused(shop_url, days):
    result = drop(shop_url, "--older-than-days", days)

    assert result.returncode == 2
    assert "not a whole number of days >= 1" in result.stderr


def test_every_batch_is_done_not_only_the_first(shop_url):
    """Planted: returning after the first batch leaves three entries with their IP."""
    ids = shop_with_personal_entries(shop_url, _days_ago(50, 49, 48, 47, 46))
    engine = make_engine(shop_url)
    factory = make_session_factory(engine)

    changed = drop_request_metadata(factory, datetime.now(UTC), timedelta(days=30), batch=2)
    engine.dispose()

    assert changed == 5
    assert all(e.ip_address is None for e in entries(shop_url, ids))
