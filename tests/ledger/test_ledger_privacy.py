"""Personal fields of ledger entries (notes, IP address, user agent) can be erased and
the chain still verifies: format v2 seals a salted digest of each, not the value."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from common.ledger_chain import NULL_DIGEST, PERSONAL_FIELDS, digest_column, salt_column
from sync_server.db import make_engine, make_session_factory
from sync_server.ledger_chain import verify
from sync_server.ledger_privacy import erase_personal_fields
from sync_server.migrate import upgrade
from sync_server.models import LedgerEntry
from tests.ledger.personal_history import AGENT, IP, note, shop_with_personal_entries
from tests.ledger.test_ledger_chain import execute, verify_ledger


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'privacy.db'}"
        upgrade(url)
        return url
    return request.getfixturevalue("pg_url")


def entries(url: str, ids: list[int]) -> list[LedgerEntry]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.id.in_(ids)).order_by(LedgerEntry.id)
        ).all()
        session.expunge_all()
    engine.dispose()
    return list(rows)


def erase(url: str, ids: list[int], fields: tuple[str, ...] = PERSONAL_FIELDS) -> int:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        changed = erase_personal_fields(session, ids, fields)
        session.commit()
    engine.dispose()
    return changed


def chain_report(url: str, merchant_id: int):
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        report = verify(session, merchant_id)
    engine.dispose()
    return report


def _times(n: int) -> list[datetime]:
    return [datetime.now(UTC) - timedelta(hours=n - i) for i in range(n)]


def test_new_entries_are_sealed_in_v2_with_a_salted_digest_of_each_personal_field(shop_url):
    ids = shop_with_personal_entries(shop_url, _times(2))
    first, second = entries(shop_url, ids)

    assert (first.chain_version, second.chain_version) == (2, 2)
    assert (first.notes, first.ip_address, first.user_agent) == (note(0), IP, AGENT)
    for field in PERSONAL_FIELDS:
        assert len(getattr(first, salt_column(field))) == 32  # 16 random bytes, hex
        assert getattr(first, salt_column(field)) != getattr(second, salt_column(field))
        assert getattr(first, digest_column(field)) not in (None, NULL_DIGEST)
    # The same IP on two entries: different salts, so different digests.
    assert first.ip_address_digest != second.ip_address_digest


def test_erasing_removes_values_and_salts_and_the_chain_still_verifies(shop_url):
    """Planted: a v2 hash over the values instead of the digests (HASHED_FIELDS in
    entry_hash_v2) makes verify-ledger fail after the erasure."""
    ids = shop_with_personal_entries(shop_url, _times(3))
    before = entries(shop_url, ids)

    changed = erase(shop_url, ids[:2])
    after = entries(shop_url, ids)
    result = verify_ledger(shop_url)

    assert changed == 2
    for entry, was in zip(after[:2], before[:2], strict=True):
        for field in PERSONAL_FIELDS:
            assert getattr(entry, field) is None
            assert getattr(entry, salt_column(field)) is None
            assert getattr(entry, digest_column(field)) == getattr(was, digest_column(field))
        assert entry.entry_hash == was.entry_hash
    assert (after[2].notes, after[2].ip_address, after[2].user_agent) == (note(2), IP, AGENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chain intact (2 with personal fields erased)" in result.stdout


def test_erasing_some_fields_keeps_the_others_and_a_second_erasure_changes_nothing(shop_url):
    ids = shop_with_personal_entries(shop_url, _times(2))

    first = erase(shop_url, ids, ("ip_address", "user_agent"))
    again = erase(shop_url, ids, ("ip_address", "user_agent"))
    kept = entries(shop_url, ids)

    assert (first, again) == (2, 0)
    assert [e.notes for e in kept] == [note(0), note(1)]
    assert all(e.notes_salt is not None for e in kept)
    assert all(e.ip_address is None and e.ip_address_salt is None for e in kept)
    assert chain_report(shop_url, kept[0].merchant_id).intact


def test_an_unknown_field_is_refused(shop_url):
    ids = shop_with_personal_entries(shop_url, _times(1))
    with pytest.raises(ValueError, match="not a personal ledger field: points_delta"):
        erase(shop_url, ids, ("points_delta",))


def test_a_changed_note_is_still_detected(shop_url):
    """The digest is checked where the value and salt remain. Planted: verify without
    personal_field_problem passes the edited note."""
    ids = shop_with_personal_entries(shop_url, _times(3))
    execute(shop_url, "UPDATE ledger_entries SET notes = 'edited' WHERE id = :i", i=ids[1])

    result = verify_ledger(shop_url)

    assert result.returncode == 1
    assert f"BROKEN at entry {ids[1]}" in result.stdout
    assert "its notes differs from what was sealed" in result.stdout


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE ledger_entries SET ip_address = NULL WHERE id = :i", "salt outlived the value"),
        ("UPDATE ledger_entries SET notes_salt = NULL WHERE id = :i", "its notes has no salt"),
        (
            "UPDATE ledger_entries SET user_agent_digest = :z WHERE id = :i",
            "content differs from what was sealed",
        ),
    ],
)
def test_a_half_erased_field_or_a_replaced_digest_breaks_the_chain(shop_url, sql, problem):
    """Only the value and its salt removed together is an erasure. Planted: dropping
    the salt checks in personal_field_problem lets the first two pass."""
    ids = shop_with_personal_entries(shop_url, _times(2))
    execute(shop_url, sql, i=ids[0], z="f" * 64)

    result = verify_ledger(shop_url)

    assert result.returncode == 1
    assert f"BROKEN at entry {ids[0]}" in result.stdout
    assert problem in result.stdout
