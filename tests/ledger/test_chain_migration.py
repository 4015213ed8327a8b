"""Migration 0008 re-seals existing v1 chains as v2: only a chain that verifies as v1,
and each head keeps the v1 hash it was derived from."""

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import MetaData, Table, select, text

from common.ledger_chain import GENESIS, HASHED_FIELDS, entry_hash_v1
from sync_server.db import make_engine
from sync_server.ledger_reseal import ChainRefused, reseal_all
from sync_server.migrate import downgrade, upgrade
from sync_server.models import Base, LedgerEntry
from tests.ledger.personal_history import shop_with_personal_entries
from tests.ledger.test_ledger_chain import execute, verify_ledger
from tests.ledger.test_ledger_privacy import erase

_ENTRIES = cast(Table, LedgerEntry.__table__)
MIGRATION = "0008"  # the one under test; later ones are not this file's subject


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def v1_shop(request, tmp_path):
    """A shop with personal history in a database at 0007, its chain written in v1.

    Its rows are made at head by the server's own code, copied into an empty database
    at 0007 (the columns 0007 has), then chained with the v1 rule."""
    if request.param == "sqlite":
        source = f"sqlite:///{tmp_path / 'source.db'}"
        upgrade(source)
        target = f"sqlite:///{tmp_path / 'v1.db'}"
        upgrade(target, "0007")
    else:
        source = request.getfixturevalue("pg_url")
        templates = request.getfixturevalue("_pg_templates")
        name, target = templates.fresh()
        downgrade(target, "0007")  # empty: nothing for later downgrades to carry
    now = datetime.now(UTC)
    ids = shop_with_personal_entries(source, [now - timedelta(hours=3 - i) for i in range(3)])
    _copy_rows(source, target)
    _write_v1_chain(target)
    yield target, ids
    if request.param != "sqlite":
        templates.drop(name)


def _copy_rows(source: str, target: str) -> None:
    """Every row of the tables both schemas have, as the driver stores them."""
    src, dst = make_engine(source), make_engine(target)
    present = MetaData()
    present.reflect(dst)
    with src.connect() as read, dst.begin() as write:
        for table in Base.metadata.sorted_tables:
            if table.name not in present.tables:
                continue
            names = [c.name for c in present.tables[table.name].columns]
            rows = read.execute(select(*[table.c[n] for n in names])).all()
            if rows:
                write.execute(
                    present.tables[table.name].insert(),
                    [dict(zip(names, r, strict=True)) for r in rows],
                )
    src.dispose()
    dst.dispose()


def _write_v1_chain(url: str) -> None:
    """Re-chain every entry with the v1 rule (hashing the values), head included."""
    engine = make_engine(url)
    columns = [_ENTRIES.c[n] for n in HASHED_FIELDS]
    with engine.begin() as conn:
        rows = conn.execute(select(*columns).order_by(_ENTRIES.c.chain_seq)).mappings().all()
        last = GENESIS
        for row in rows:
            digest = entry_hash_v1(last, row)
            conn.execute(
                text("UPDATE ledger_entries SET prev_hash = :p, entry_hash = :h WHERE id = :i"),
                {"p": last, "h": digest, "i": row["id"]},
            )
            last = digest
        conn.execute(
            text("UPDATE ledger_chain_heads SET last_seq = :s, last_hash = :h"),
            {"s": len(rows), "h": last},
        )
    engine.dispose()


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

    upgrade(url, MIGRATION)
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
    assert f"re-sealed from v1 head {old_head[1]} at position {old_head[0]}" in after.stdout
    assert versions == {2}
    assert (head.v1_last_seq, head.v1_last_hash) == old_head
    assert (head.last_seq, head.last_hash) != old_head


def test_a_migrated_chain_still_detects_an_edited_note(v1_shop):
    url, ids = v1_shop
    upgrade(url, MIGRATION)
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
        upgrade(url, MIGRATION)

    message = str(refused.value)
    assert f"entry {ids[0]}" in message
    assert "content differs" in message
    assert "refused" in message
    assert "verify-ledger" in message


def test_the_downgrade_refuses_a_chain_with_erased_fields(v1_shop):
    """v1 hashes the values, so a chain with an erasure cannot go back to it. (The
    re-seal 0008's downgrade runs first, called directly: later revisions' downgrades
    are not this test's subject.)"""
    url, ids = v1_shop
    upgrade(url, MIGRATION)
    erase(url, ids[:1])
    engine = make_engine(url)

    with (
        pytest.raises(ChainRefused, match=f"entry {ids[0]} had notes, ip_address, user_agent"),
        engine.begin() as conn,
    ):
        reseal_all(conn, 1)
    engine.dispose()


def test_without_erasures_the_downgrade_gives_back_the_v1_chain(v1_shop):
    url, _ = v1_shop
    old_head = v1_head(url)
    upgrade(url, MIGRATION)
    engine = make_engine(url)
    with engine.begin() as conn:
        reseal_all(conn, 1)
    engine.dispose()

    assert v1_head(url) == old_head
