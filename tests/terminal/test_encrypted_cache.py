"""The till's database encrypted at rest: a clear cache left by an older version is
sealed in place on first open without losing an op, a crash while sealing leaves a
usable file, a wrong key is refused without being shown, and a wipe replaces the key."""

import logging
import secrets
import shutil
import sqlite3
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import text

from common.card_number import make_card_number
from common.operations import AddStamp, CustomerDetails, Enroll
from desktop.engine import cache_cipher, cache_key
from desktop.engine.cache_cipher import CacheKeyMismatch
from desktop.engine.cache_key import KEY_BYTES, CacheKey
from desktop.engine.local_store import LocalStore
from desktop.engine.terminal import Terminal, keyring_account
from desktop.engine.tokens import FileTokens, MemoryTokens

EMAIL = "amelie.durand@exemple.fr"
PULLED, MADE_HERE = make_card_number(1, 1), make_card_number(2, 1)
PAGE = {
    "cursor": "c1",
    "reset": False,
    "changes": {
        "customers": [{"id": 7, "email": "bob@example.com", "name": "Bob Marchetti"}],
        "cards": [{"id": 1, "card_number": PULLED, "customer_id": 7, "points_balance": 40}],
    },
}


def _key() -> CacheKey:
    return CacheKey(secrets.token_bytes(KEY_BYTES), MemoryTokens())


def _clear_cache_with_work(folder: Path) -> tuple[Path, list[str], list[tuple[str, str]]]:
    """A cache as the previous version left it, taken while it ran: pulled cards and
    pending ops (an enrollment with personal data), part of them still in the WAL."""
    live = folder / "live"
    live.mkdir()
    store = LocalStore(live / "till.db")
    store.apply_pull_page(PAGE)
    at = datetime.now(UTC)
    ops = [
        Enroll(
            card_number=MADE_HERE,
            customer=CustomerDetails(email=EMAIL, name="Amélie Durand", phone="+33612345678"),
        ),
        AddStamp(card_number=PULLED),
    ]
    ids = [
        store.append(op, client_time=at, staff_pin_id=None, offline=True, snapshot_age_s=0).op_id
        for op in ops
    ]
    with store.reading() as conn:
        cards = [(r[0], r[1]) for r in conn.execute(text("SELECT card_number, state FROM cards"))]
    taken = folder / "old"
    shutil.copytree(live, taken)
    store.close()
    assert (taken / "till.db-wal").stat().st_size > 0  # the ops are (also) in the WAL
    return taken / "till.db", ids, cards


def test_a_clear_cache_is_sealed_in_place_keeping_its_outbox_and_cards(tmp_path):
    """Planted: seal_plain removing the clear -wal/-shm before exporting (the ops only
    in the WAL are lost: the outbox comes back short)."""
    path, ids, cards = _clear_cache_with_work(tmp_path)
    key = _key()

    store = LocalStore(path, key=key)
    with store.reading() as conn:
        after = [(r[0], r[1]) for r in conn.execute(text("SELECT card_number, state FROM cards"))]
    outbox = [e.op_id for e in store.entries()]
    store.close()

    assert outbox == ids
    assert after == cards
    assert cache_cipher.is_sealed(path)
    with pytest.raises(sqlite3.DatabaseError):  # unreadable without the key
        sqlite3.connect(path).execute("SELECT count(*) FROM outbox").fetchone()
    for leftover in path.parent.iterdir():
        assert EMAIL.encode() not in leftover.read_bytes(), leftover.name
    assert [e.op_id for e in LocalStore(path, key=key).entries()] == ids  # and again


def test_a_crash_while_sealing_leaves_the_clear_cache_which_is_sealed_next_time(tmp_path):
    """A half-written encrypted copy (the crash came before the rename) is started
    over. Planted: seal_plain not removing a stale ``.sealing`` file (ATTACH meets
    garbage: the store cannot open)."""
    path, ids, _ = _clear_cache_with_work(tmp_path)
    path.with_name("till.db.sealing").write_bytes(secrets.token_bytes(10_000))
    key = _key()

    store = LocalStore(path, key=key)
    try:
        assert [e.op_id for e in store.entries()] == ids
    finally:
        store.close()
    assert not path.with_name("till.db.sealing").exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_wrong_key_is_refused_clearly_and_never_shown(tmp_path):
    right, wrong = _key(), _key()
    LocalStore(tmp_path / "till.db", key=right).close()

    with pytest.raises(CacheKeyMismatch) as refused:
        LocalStore(tmp_path / "till.db", key=wrong)

    for key in (right, wrong):
        hex_form = key.literal().split("'")[1]
        assert hex_form not in str(refused.value)
        assert hex_form not in repr(key)


def test_a_wipe_replaces_the_key_so_an_earlier_copy_cannot_be_read(tmp_path, file_keyring):
    """Planted: wipe() without replacing the key (the copy opens with what the
    keyring holds)."""
    terminal = Terminal(tmp_path / "till", tokens=MemoryTokens())
    store = terminal.store
    store.apply_pull_page(PAGE)
    shutil.copytree(tmp_path / "till", tmp_path / "copy")
    kept = cache_key.key_store(tmp_path / "till", "unused", tokens=MemoryTokens())
    before = kept.get()

    store.wipe()
    store.append(  # the wiped till goes on working under its new key
        AddStamp(card_number=PULLED),
        client_time=datetime.now(UTC),
        staff_pin_id=None,
        offline=True,
        snapshot_age_s=None,
    )
    terminal.close()

    assert kept.get() not in (None, before)
    with pytest.raises(CacheKeyMismatch):
        LocalStore(tmp_path / "copy" / "till.db", key=cache_key.load(kept, tmp_path / "x.db"))
    reopened = Terminal(tmp_path / "till", tokens=MemoryTokens())
    assert len(reopened.store.entries()) == 1
    reopened.close()


def test_a_cache_whose_key_is_gone_is_set_aside_and_the_till_starts_empty(tmp_path):
    Terminal(tmp_path / "till", tokens=MemoryTokens()).close()
    (tmp_path / "till" / "cache-key").unlink()  # a keyring reset, say

    terminal = Terminal(tmp_path / "till", tokens=MemoryTokens())
    terminal.close()

    assert [p.name for p in (tmp_path / "till").glob("till.db.unreadable-*")]
    assert (tmp_path / "till" / "cache-key").exists()


def test_the_key_goes_to_the_keyring_under_its_own_entry(tmp_path, file_keyring):
    terminal = Terminal(tmp_path / "till")
    terminal.close()

    account = keyring_account(tmp_path / "till")
    stored = file_keyring.get_password("loyalty-terminal", f"{account}:cache-key")
    assert stored is not None
    assert len(bytes.fromhex(stored)) == KEY_BYTES
    assert not (tmp_path / "till" / "cache-key").exists()


def test_without_any_keyring_the_key_is_a_0600_file_and_the_log_says_so(tmp_path, caplog):
    """Planted: key_store choosing the file without its warning."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with caplog.at_level(logging.WARNING):
            kept = cache_key.key_store(tmp_path / "till", "till-1")
            key = cache_key.load(kept, tmp_path / "till" / "till.db")
    finally:
        keyring.set_keyring(previous)

    assert isinstance(kept, FileTokens)
    assert stat.S_IMODE(kept.path.stat().st_mode) == 0o600
    assert "no OS keyring" in caplog.text
    assert key.literal().split("'")[1] not in caplog.text


def test_an_encrypted_store_is_checkpointed_in_the_background_before_and_after_a_wipe(
    tmp_path,
):
    """The checkpoint thread opens the file with the key, the new one after a wipe.
    Planted: the checkpointer connecting without the key (no checkpoint ever runs)."""
    store = LocalStore(tmp_path / "till.db", key=_key())
    try:
        for round_ in ("before", "after"):
            store.checkpointer.pages = 50
            cards = [
                {"id": i, "card_number": make_card_number(3, i), "customer_id": i, "x": "y" * 999}
                for i in range(1, 2001)
            ]
            store.apply_pull_page({"cursor": "c", "reset": False, "changes": {"cards": cards}})
            deadline = time.monotonic() + 30
            while store.checkpointer.runs == 0:
                assert time.monotonic() < deadline, f"no background checkpoint {round_} the wipe"
                time.sleep(0.01)
            if round_ == "before":
                store.wipe()  # a new key, a new checkpointer
    finally:
        store.close()
