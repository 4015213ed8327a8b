"""The ledger is tamper-evident: each entry's hash is chained to the previous entry of
its merchant, and `loyalty-server verify-ledger` finds the first broken link."""

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from common.ledger_chain import GENESIS, entry_hash
from sync_server import demo
from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.ledger_chain import verify
from sync_server.migrate import upgrade
from sync_server.models import LedgerEntry

SCRIPT = str(Path(sys.executable).with_name("loyalty-server"))


def verify_ledger(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, "verify-ledger"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def shop_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'chain.db'}"
        upgrade(url)
        yield url
    else:
        yield request.getfixturevalue("pg_url")


def seeded(url: str) -> list[int]:
    """A shop with some history; returns its ledger entry ids in chain order."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        demo.seed_demo(session, Settings(database_url=url))
        session.commit()
        ids = session.scalars(select(LedgerEntry.id).order_by(LedgerEntry.chain_seq)).all()
    engine.dispose()
    return list(ids)


def execute(url: str, sql: str, **params: object) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def test_every_committed_entry_is_sealed_in_order(shop_url):
    seeded(shop_url)
    engine = make_engine(shop_url)
    with make_session_factory(engine)() as session:
        entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.chain_seq)).all()
        report = verify(session, entries[0].merchant_id)
    engine.dispose()

    assert [e.chain_seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    assert report.intact
    assert report.entries == len(entries)


def test_verify_ledger_reports_an_entry_edited_in_the_database(shop_url):
    ids = seeded(shop_url)
    clean = verify_ledger(shop_url)
    victim = ids[len(ids) // 2]

    execute(
        shop_url,
        "UPDATE ledger_entries SET points_delta = points_delta + 500 WHERE id = :i",
        i=victim,
    )
    tampered = verify_ledger(shop_url)

    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert f"{len(ids)} entries, chain intact" in clean.stdout
    assert tampered.returncode == 1
    assert f"BROKEN at entry {victim}" in tampered.stdout
    assert "content differs" in tampered.stdout
    assert f"{ids.index(victim)} entries before it are intact" in tampered.stdout


def test_verify_ledger_reports_a_deleted_entry(shop_url):
    ids = seeded(shop_url)
    victim = ids[3]
    execute(shop_url, "UPDATE ledger_entries SET related_transaction_id = NULL")
    # Editing a column outside the hash still breaks nothing; deleting a row does.
    assert verify_ledger(shop_url).returncode == 0

    execute(shop_url, "DELETE FROM ledger_entries WHERE id = :i", i=victim)
    result = verify_ledger(shop_url)

    assert result.returncode == 1
    assert "position 4" in result.stdout
    assert "missing" in result.stdout


def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(shop_url):
    """Someone who knows the scheme recomputes the edited entry's own hash: the next
    entry still names the old hash, so the link after it breaks."""
    ids = seeded(shop_url)
    victim = ids[2]
    engine = make_engine(shop_url)
    with make_session_factory(engine)() as session:
        entry = session.get_one(LedgerEntry, victim)
        fields = {c.name: getattr(entry, c.name) for c in LedgerEntry.__table__.columns}
        fields["points_delta"] += 1000
        forged = entry_hash(entry.prev_hash or GENESIS, fields)
    engine.dispose()
    execute(
        shop_url,
        "UPDATE ledger_entries SET points_delta = points_delta + 1000, entry_hash = :h "
        "WHERE id = :i",
        h=forged,
        i=victim,
    )

    result = verify_ledger(shop_url)

    assert result.returncode == 1
    assert f"BROKEN at entry {ids[3]}" in result.stdout
    assert "does not link" in result.stdout
