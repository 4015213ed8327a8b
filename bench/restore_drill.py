"""The restore drill of docs/deploy.md, run for real on a throwaway PostgreSQL cluster.

A cluster of its own (bench/restore_cluster.py: initdb, its own loopback port, WAL
archived): ``loyalty-server migrate``, a merchant with a paired till, cards enrolled and
points earned through the real app; a base backup; more writes; the restore target time
noted; more writes that the restore will lose, pulled by the till, whose cursor is then
past the target. The cluster is stopped (the disaster), the backup restored to the
target time into a new data directory, ``loyalty-server migrate`` and ``verify-ledger``
run on it, new writes made until the change stamps pass the till's cursor (from then on
a till would skip changes), ``loyalty-server resync-tills`` run, and the till pulls: it
must be reset and end equal to the restored server. Last, the restored database dumped
into a new one (a logical restore): there the epoch alone resets the till.

``python -m bench.restore_drill [--cards 40]``: the last line is JSON. The clusters are
stopped and their directory removed at the end, whatever happened.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import select

from bench.deadline import deadline, doing
from bench.restore_cluster import STEP_S, Cluster, archiving_primary, give_to_postgres, restore_to
from bench.seeding import PROGRAM
from sync_server.auth import accounts, tokens
from sync_server.config import Settings
from sync_server.main import create_app
from sync_server.models import StaffPin
from sync_server.models.sync import Terminal
from sync_server.services import pairing, programs, staff_pins
from sync_server.sync.changes import horizon
from sync_server.sync.epoch import current_epoch
from sync_server.sync.pull import Cursor

LIMIT_S = 240
MAX_WRITES = 2000  # after the restore, to pass the till's cursor
API = "/api/v1/store/loyalty"
PIN = "1357"


@dataclass
class DrillTill:
    """The protocol part of a till: pages pulled into a local copy, wiped on ``reset``."""

    token: str
    cursor: str | None = None
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    resets: int = 0

    def pull(self, http: TestClient) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        for _ in range(200):
            params: dict[str, Any] = {"limit": 500}
            if self.cursor:
                params["cursor"] = self.cursor
            page = http.get("/api/v1/sync/pull", params=params, headers=headers).json()
            if page["reset"]:
                self.cards.clear()
                self.resets += 1
            for card in page["changes"]["cards"]:
                self.cards[card["card_number"]] = card
            self.cursor = page["cursor"]
            if not page["has_more"] and page["caught_up"]:
                return
        raise RuntimeError("the till never caught up")

    def cursor_lo(self) -> int:
        """Where its cursor stands: every change stamp below it is pulled."""
        assert self.cursor is not None
        body = base64.urlsafe_b64decode(self.cursor.split(".")[0])
        return Cursor.model_validate_json(body).lo


@dataclass
class Shop:
    owner: dict[str, str]
    till: DrillTill
    serial: int = 0

    def write(self, http: TestClient, cards: int) -> None:
        """Enroll ``cards`` cards and earn points on each: two ledger entries a card."""
        for _ in range(cards):
            self.serial += 1
            email = {"email": f"drill{self.serial}@x.example"}
            made = http.post(f"{API}/cards/enroll", json=email, headers=self.owner)
            assert made.status_code == 201, made.text
            earn = {
                "card_number": made.json()["card_number"],
                "purchase_amount_cents": 100 * self.serial,
                "staff_pin": PIN,
            }
            earned = http.post(f"{API}/points/earn", json=earn, headers=self.owner)
            assert earned.status_code == 200, earned.text


def _shop(url: str) -> Shop:
    app = create_app(Settings(database_url=url))
    now = datetime.now(UTC)
    with app.state.session_factory() as session:
        merchant = accounts.create_merchant(session, "Drill Café")
        store = accounts.create_store(session, merchant.id, "Drill", "Europe/Paris")
        owner = accounts.create_user(session, merchant.id, "owner@drill.example", "drill-own")
        programs.create(session, merchant.id, PROGRAM | {"display_name": "Drill"})
        pin = staff_pins.create(session, merchant.id, store.id, "Sam", PIN, None)
        assert isinstance(pin, StaffPin)
        code = pairing.issue_code(session, store, owner.id, now)
        paired = pairing.redeem_code(session, code.code, "drill till", now)
        assert paired is not None
        token = tokens.issue(session, owner, store.id, now, timedelta(hours=2))
        session.commit()
    app.state.engine.dispose()
    return Shop({"Authorization": f"Bearer {token.token}"}, DrillTill(paired.device_token))


@contextmanager
def _server(url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url))
    try:
        with TestClient(app) as http:
            yield http
    finally:
        app.state.engine.dispose()


def _cli(url: str, *args: str) -> tuple[int, str]:
    """``loyalty-server`` as an operator runs it: (exit status, its last line)."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "loyalty-server"), *args],
        capture_output=True,
        text=True,
        timeout=STEP_S,
        env={**os.environ, "DATABASE_URL": url},
        check=False,
    )
    lines = (done.stdout or done.stderr).strip().splitlines()
    return done.returncode, lines[-1] if lines else ""


def _counts(cluster: Cluster) -> dict[str, int]:
    tables = ("cards", "ledger_entries")
    return {t: int(cluster.sql(f"SELECT count(*) FROM {t}", "loyalty")) for t in tables}


def _xmax(cluster: Cluster) -> int:
    return int(cluster.sql("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))


def _server_balances(cluster: Cluster, database: str = "loyalty") -> dict[str, int]:
    with psycopg.connect(cluster.url(database), connect_timeout=5) as conn:
        rows = conn.execute(b"SELECT card_number, points_balance FROM cards").fetchall()
        return {str(number): int(balance) for number, balance in rows}


def _epoch(url: str) -> int:
    app = create_app(Settings(database_url=url))
    try:
        with app.state.session_factory() as session:
            return current_epoch(session)
    finally:
        app.state.engine.dispose()


def _answer_to(url: str, till: DrillTill) -> bool:
    """Whether the server would reset the till's cursor now (its reset decision)."""
    app = create_app(Settings(database_url=url))
    try:
        with app.state.session_factory() as session:
            terminal = session.scalars(select(Terminal)).one()
            present, epoch = horizon(session).value, current_epoch(session)
            _, reset = Cursor.decode(
                till.cursor, terminal.id, terminal.cursor_key, time.time(), present, epoch
            )
            return reset
    finally:
        app.state.engine.dispose()


@dataclass
class Lost:
    """What the disaster leaves: the till's view, the backup, the target time."""

    shop: Shop
    at_target: dict[str, int]
    lost: dict[str, int]
    target: str
    epoch: int
    till_lo: int


def _load_then_lose(root: Path, primary: Cluster, cards: int) -> Lost:
    url = primary.url("loyalty", "postgresql+psycopg")
    primary.sql("CREATE DATABASE loyalty")
    _cli(url, "migrate")
    shop = _shop(url)
    with _server(url) as http:
        doing("first writes")
        shop.write(http, cards)
        shop.till.pull(http)
        doing("base backup")
        primary.base_backup(root / "base")
        shop.write(http, cards)
        shop.till.pull(http)
        at_target, target = _counts(primary), str(primary.sql("SELECT now()"))
        time.sleep(1.1)  # every commit after it is strictly later
        doing("writes the restore loses")
        shop.write(http, cards)
        shop.till.pull(http)
    after = _counts(primary)
    lost = {t: after[t] - at_target[t] for t in after}
    primary.archive_current_wal(root / "archive")
    return Lost(shop, at_target, lost, target, _epoch(url), shop.till.cursor_lo())


def _restore_and_resync(root: Path, clusters: list[Cluster], before: Lost) -> dict[str, Any]:
    doing("restoring to the target time")
    restored, restore_s = restore_to(
        root / "base", root / "archive", before.target, root / "restored"
    )
    clusters.append(restored)
    url, shop = restored.url("loyalty", "postgresql+psycopg"), before.shop
    restored_rows, restored_xmax = _counts(restored), _xmax(restored)
    _, migrate = _cli(url, "migrate")
    verify_status, verify = _cli(url, "verify-ledger")
    doing("writing past the till's cursor")
    with _server(url) as http:
        written = 0
        while _xmax(restored) <= before.till_lo and written < MAX_WRITES:
            shop.write(http, 1)
            written += 1
        behind = "SELECT count(*) FROM cards WHERE change_txid < {lo} AND change_txid >= {x}"
        would_skip = restored.sql(behind.format(lo=before.till_lo, x=restored_xmax), "loyalty")
        reset_unaided = _answer_to(url, shop.till)
        _, resync = _cli(url, "resync-tills")
        shop.till.pull(http)
    on_server, held = _server_balances(restored), shop.till.cards
    return {
        "restore_s": round(restore_s, 2),
        "rows_after_restore": restored_rows,
        "migrate": migrate,
        "verify_ledger": "ok" if verify_status == 0 else "FAILED",
        "verify_ledger_says": verify,
        "epoch_kept_by_pitr": _epoch(url) == before.epoch,
        "till_cursor_lo": before.till_lo,
        "restored_xmax": restored_xmax,
        "writes_to_pass_the_cursor": written,
        "reset_without_resync_tills": reset_unaided,
        "cards_skipped_without_resync_tills": int(would_skip),
        "resync_tills": resync,
        "till_reset": shop.till.resets > 0,
        "till_cards": len(held),
        "server_cards": len(on_server),
        "skipped": len(set(on_server) - set(held)),
        "stale": len(set(held) - set(on_server)),
        "differ": sum(1 for n, c in held.items() if on_server.get(n) != c["points_balance"]),
    }


def _logical_copy(cluster: Cluster, till: DrillTill) -> dict[str, Any]:
    """The restored database dumped into a new one: another epoch, so the till, its
    cursor of the database it came from, starts over with no step of anyone's."""
    doing("dumping into a new database")
    cluster.copy_database("loyalty", "loyalty_copy")
    url, resets = cluster.url("loyalty_copy", "postgresql+psycopg"), till.resets
    with _server(url) as http:
        till.pull(http)
    held = {n: c["points_balance"] for n, c in till.cards.items()}
    return {
        "copy_epoch_changed": _epoch(url) != _epoch(cluster.url("loyalty", "postgresql+psycopg")),
        "copy_till_reset": till.resets > resets,
        "copy_till_equal": held == _server_balances(cluster, "loyalty_copy"),
    }


def drill(root: Path, cards: int) -> dict[str, Any]:
    """The whole drill in ``root`` (an empty directory); its figures."""
    (root / "archive").mkdir()
    give_to_postgres(root)
    primary = archiving_primary(root, root / "archive")
    clusters = [primary]
    try:
        doing("starting the primary")
        primary.start()
        before = _load_then_lose(root, primary, cards)
        primary.stop()  # the disaster
        figures = _restore_and_resync(root, clusters, before)
        figures |= _logical_copy(clusters[-1], before.shop.till)
    finally:
        for cluster in clusters:
            cluster.stop("immediate")
    return {
        "cards_per_step": cards,
        "rows_at_target": before.at_target,
        "rows_lost_after_target": before.lost,
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cards", type=int, default=40, help="cards written per step")
    args = parser.parse_args()
    began = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="restore-drill-"))
    try:
        with deadline(LIMIT_S, "restore_drill"):
            result = drill(root, args.cards)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result["total_s"] = round(time.monotonic() - began, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
