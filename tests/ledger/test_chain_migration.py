"""Migration 0008 re-seals existing v1 chains as v2: only a chain that verifies as v1,
and each head keeps the v1 hash it was derived from."""

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Table, select, text

from common.ledger_chain import GENESIS, HASHED_FIELDS, entry_hash_v1
from sync_server.db import make_engine
from sync_server.migrate import downgrade, upgrade
from sync_server.models import LedgerEntry
from tests.ledger.personal_history import shop_with_personal_entries
from tests.ledger.test_ledger_chain import execute, verify_ledger
from tests.ledger.test_ledger_privacy import erase

_ENTRIES = cast(Table, LedgerEntry.__table__)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def v1_shop(request, tmp_path):
    """A shop with personal history whose database is at 0007, its chain in v1."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'v1.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("pg_url")
    now = datetime.now(UTC)
    ids = shop_with_personal_entries(url, [now - timedelta(hours=3 - i) for i in range(3)])
    downgrade(url, "0007")
    return url, ids


def v1_head(url: str) -> tuple[int, str]:
    """Recompute the v1 chain from the rows, as the code before 0008 did, checking every
    link and the head row; returns the head."""
    engine = make_engine(url)
    columns = [_ENTRIES.c[n] for n in HASHED_FIELDS]
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns, _ENTRIES.c.prev_hash, _ENTRIES.c.entry_hash).order_by(
                _ENTRIES.c.chain_seq
            )
        ).mappings()
        last, seq = GENESIS, 0
        for row in rows:
            assert row["prev_hash"] == last
            assert entry_hash_v1(last, row) == row["entry_hash"], row["id"]
            last, seq = row["entry_hash"], int(row["chain_seq"])
        head = conn.execute(text("SELECT last_seq, last_hash FROM ledger_chain_heads")).one()
    engine.dispose()
    assert (head.last_seq, head.last_hash) == (seq, last)
    return seq, last


def test_a_v1_chain_is_resealed_as_v2_and_keeps_its_v1_head(v1_shop):
    """Planted: re-sealing without fresh salts (privacy_columns skipped) leaves v2
    entries whose personal values have no salt, and verify-ledger fails."""
    url, _ = v1_shop
    old_head = v1_head(url)

    upgrade(url)
    after = verify_ledger(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        versions = set(conn.scalars(text("SELECT DISTINCT chain_version FROM ledger_entries")))
        head = conn.execute(
            text("SELECT last_seq, last_hash, v1_last_seq, v1_last_hash FROM ledger_chain_heads")
        ).one()
    engine.dispose()

    assert after.returncode == 0, after.stdout + after.stderr
    assert f"{old_head[0]} entries, chain intact" in after.stdout
    assert versions == {2}
    assert (head.v1_last_seq, head.v1_last_hash) == old_head
    assert (head.last_seq, head.last_hash) != old_head


def test_a_migrated_chain_still_detects_an_edited_note(v1_shop):
    url, ids = v1_shop
    upgrade(url)
    execute(url, "UPDATE ledger_entries SET notes = 'edited' WHERE id = :i", i=ids[1])

    result = verify_ledger(url)

    assert result.returncode == 1
    assert f"BROKEN at entry {ids[1]}" in result.stdout


def test_a_broken_v1_chain_is_refused_not_resealed(v1_shop):
    """Planted: migrating without verifying first re-seals the edited entry into a chain
    that verifies, and the upgrade succeeds."""
    url, ids = v1_shop
    execute(url, "UPDATE ledger_entries SET points_delta = 999 WHERE id = :i", i=ids[0])

    with pytest.raises(RuntimeError) as refused:
        upgrade(url)

    message = str(refused.value)
    assert f"entry {ids[0]}" in message
    assert "content differs" in message
    assert "refused" in message
    assert "verify-ledger" in message


def test_the_downgrade_refuses_a_chain_with_erased_fields(v1_shop):
    """v1 hashes the values, so a chain with an erasure cannot go back to it."""
    url, ids = v1_shop
    upgrade(url)
    erase(url, ids[:1])

    with pytest.raises(RuntimeError, match=f"entry {ids[0]} had notes, ip_address, user_agent"):
        downgrade(url, "0007")
