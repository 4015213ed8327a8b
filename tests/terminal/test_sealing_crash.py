"""kill -9 while the till encrypts its clear cache in place (the first start of the
version that encrypts): at any instant the file left behind opens, with the till's
key, holding every pulled card and every pending op."""

import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from common.card_number import make_card_number
from common.operations import AddStamp
from desktop.engine import cache_cipher
from desktop.engine.cache_key import CacheKey
from desktop.engine.local_store import LocalStore
from desktop.engine.tokens import MemoryTokens

KILLS = 8
CARDS = 40_000
ROOT = Path(__file__).resolve().parents[2]


def _clear_cache(folder: Path) -> list[str]:
    """A clear cache as the previous version left it: cards pulled, ops pending."""
    store = LocalStore(folder / "till.db")
    for start in range(0, CARDS, 5000):
        cards = [
            {"id": i, "card_number": make_card_number(4, i), "customer_id": i, "x": "y" * 200}
            for i in range(start + 1, start + 5001)
        ]
        store.apply_pull_page({"cursor": "c", "reset": False, "changes": {"cards": cards}})
    at = datetime.now(UTC)
    ids = [
        store.append(
            AddStamp(card_number=make_card_number(4, i)),
            client_time=at,
            staff_pin_id=None,
            offline=True,
            snapshot_age_s=0,
        ).op_id
        for i in range(1, 21)
    ]
    store.close()
    return ids


def _seal(path: Path, key_hex: str, kill_after: float | None) -> str:
    """Run the sealing in a process of its own; kill it ``kill_after`` s into it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.sealing_worker", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SEALING_KEY": key_hex},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "sealing"
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=120)
    return out.strip()


def test_killing_the_till_while_it_seals_its_cache_loses_nothing(tmp_path):
    """Planted: seal_plain moving the clear file aside and exporting into till.db
    itself (a kill mid-export leaves a partial encrypted till.db: cards and ops gone)."""
    ids = _clear_cache(tmp_path)
    key_hex = secrets.token_hex(32)
    shutil.copytree(tmp_path, tmp_path.parent / "first")
    took = float(_seal(tmp_path.parent / "first" / "till.db", key_hex, None))
    rng = random.Random(17)
    left: list[str] = []
    for i in range(KILLS):
        folder = tmp_path.parent / f"kill{i}"
        shutil.copytree(tmp_path, folder)
        _seal(folder / "till.db", key_hex, rng.uniform(0, took))
        left.append("clear" if cache_cipher.is_plain(folder / "till.db") else "sealed")

        store = LocalStore(folder / "till.db", key=CacheKey(bytes.fromhex(key_hex), MemoryTokens()))
        try:
            assert [e.op_id for e in store.entries()] == ids, f"kill {i} ({left[-1]})"
            with store.reading() as conn:
                assert conn.execute(text("SELECT count(*) FROM cards")).scalar_one() == CARDS
        finally:
            store.close()
        assert cache_cipher.is_sealed(folder / "till.db")
    assert "clear" in left  # some kills came before the rename (the others after)
