"""A pull cursor belongs to one history of the database (sync_server/sync/epoch.py): a
dump restored into a new database is another history, and a till's next pull there is
a full resync that ends equal to the restored server. A cursor of the same history, or
one issued before epochs existed, carries on where it stopped. A point-in-time restore
keeps the epoch: the restore drill (bench/restore_drill.py) runs one, small, and shows
why its procedure's resync-tills step is needed."""

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bench.restore_cluster import PG_BIN
from bench.restore_drill import drill
from sync_server.config import Settings
from sync_server.main import create_app
from sync_server.models import Card, Customer
from sync_server.models.sync import Terminal
from sync_server.sync.epoch import epoch_of
from sync_server.sync.pull import Cursor
from tests.conftest import IN_CI
from tests.dbs import database_url
from tests.support.shop import Shop, make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"
DUMP_TIMEOUT_S = 60


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _enroll(http: TestClient, shop: Shop, tag: str, n: int) -> None:
    for i in range(n):
        made = http.post(
            f"{API}/cards/enroll", json={"email": f"{tag}{i}@x.example"}, headers=shop.owner_headers
        )
        assert made.status_code == 201, made.text


def _held(till: Till) -> dict[str, str]:
    emails = {int(k): c["email"] for k, c in till.state["customers"].items()}
    return {c["card_number"]: emails[c["customer_id"]] for c in till.state["cards"].values()}


def _truth(app: FastAPI) -> dict[str, str]:
    with app.state.session_factory() as session:
        return {
            card.card_number: session.get_one(Customer, card.customer_id).email
            for card in session.scalars(select(Card))
        }


@pytest.fixture
def restored() -> Iterator[str]:
    """The name of an empty database to restore into, dropped afterwards."""
    name = f"loyalty_restored_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(database_url("postgres")), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
        yield name
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def _dump(url: str) -> bytes:
    return subprocess.run(
        ["pg_dump", "--no-owner", f"--dbname={_libpq(url)}"],
        check=True,
        capture_output=True,
        timeout=DUMP_TIMEOUT_S,
    ).stdout


def _load(dump: bytes, url: str) -> None:
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={_libpq(url)}"],
        input=dump,
        check=True,
        capture_output=True,
        timeout=DUMP_TIMEOUT_S,
    )


@pytest.mark.postgres
def test_a_cursor_from_before_a_restore_into_a_new_database_means_a_full_resync(
    pg_url: str, restored: str
) -> None:
    """Planted (the epoch ignored): the pull is not reset, the till keeps the card lost
    with the old database and its email, and holds 5 cards where the server has 4."""
    app = create_app(Settings(database_url=pg_url))
    shop = make_shop(app.state.session_factory)
    with TestClient(app) as http:
        _enroll(http, shop, "before", 2)
        till = pair(http, shop.owner_headers)
        till.pull_all()
        nightly = _dump(pg_url)  # the backup: the till is paired
        _enroll(http, shop, "lost", 3)  # lost with the old database
        till.pull_all()  # the till's cursor is past them
    app.state.engine.dispose()

    _load(nightly, database_url(restored))
    app = create_app(Settings(database_url=database_url(restored)))
    try:
        with TestClient(app) as http:
            _enroll(http, shop, "after", 2)
            till.client = http
            pages = till.pull_all()
            again = till.pull_all()
        truth = _truth(app)
    finally:
        app.state.engine.dispose()

    assert pages[0]["reset"] is True
    assert again[0]["reset"] is False  # the new cursor is of the restored database
    assert _held(till) == truth
    assert len(truth) == 2 + 2  # the lost cards are gone


def test_a_cursor_of_the_same_database_carries_on_through_another_instance(db_url: str) -> None:
    """Planted (the epoch drawn per process): the second instance resets the till."""
    first, second = (create_app(Settings(database_url=db_url)) for _ in range(2))
    shop = make_shop(first.state.session_factory)
    try:
        with TestClient(first) as one, TestClient(second) as other:
            _enroll(one, shop, "a", 2)
            till = pair(one, shop.owner_headers)
            till.pull_all()
            _enroll(one, shop, "b", 1)
            till.client = other
            pages = till.pull_all()
    finally:
        first.state.engine.dispose()
        second.state.engine.dispose()

    assert pages[0]["reset"] is False
    assert len(pages[0]["changes"]["cards"]) == 1  # only the new card: no resync
    assert len(_held(till)) == 3


def _without_epoch(app: FastAPI, till: Till) -> str:
    """The till's cursor as a server from before epochs signed it: no ``ep`` field."""
    assert till.cursor is not None
    signed = base64.urlsafe_b64decode(till.cursor.partition(".")[0].encode())
    cursor = Cursor.model_validate_json(signed)
    assert cursor.ep is not None
    with app.state.session_factory() as session:
        key = session.get_one(Terminal, till.terminal_id).cursor_key
    old = json.dumps(cursor.model_dump(exclude={"ep"}), separators=(",", ":"))
    body = base64.urlsafe_b64encode(old.encode()).decode()
    tag = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{tag}"


def test_a_cursor_from_before_epochs_is_taken_as_the_current_epoch(db_url: str) -> None:
    """So a rolling deploy resets no till. Planted (no epoch means another) -> reset."""
    app = create_app(Settings(database_url=db_url))
    shop = make_shop(app.state.session_factory)
    try:
        with TestClient(app) as http:
            _enroll(http, shop, "a", 2)
            till = pair(http, shop.owner_headers)
            till.pull_all()
            till.cursor = _without_epoch(app, till)
            _enroll(http, shop, "b", 1)
            pages = till.pull_all()
    finally:
        app.state.engine.dispose()

    assert pages[0]["reset"] is False
    assert len(pages[0]["changes"]["cards"]) == 1
    assert len(_held(till)) == 3


def test_only_a_cursor_of_another_epoch_is_unusable() -> None:
    now, mine = 1_000_000.0, epoch_of(7, 16384)
    cursor = Cursor(t=1, lo=5, at=int(now), ep=mine)

    assert cursor.usable(1, now, horizon=9, epoch=mine)
    assert not cursor.usable(1, now, horizon=9, epoch=epoch_of(8, 16384))  # new cluster
    assert not cursor.usable(1, now, horizon=9, epoch=epoch_of(7, 16385))  # new database
    assert Cursor(t=1, lo=5, at=int(now)).usable(1, now, horizon=9, epoch=mine)


@pytest.mark.skipif(
    not (PG_BIN / "initdb").exists() and not IN_CI,
    reason=f"no PostgreSQL server binaries in {PG_BIN}",
)
def test_the_restore_drill_ends_with_the_till_equal_to_the_restored_server() -> None:
    """bench/restore_drill.py, small: a point-in-time restore keeps the epoch (same
    cluster, same database), so a till past the target would skip what is written
    after the restore; resync-tills makes it start over. Planted (the drill without
    resync-tills): the till is not reset; the restore reused the 10 lost cards' numbers, and
    under them the till still shows the lost cards (10 differ from the server). Its last
    step, a dump into a new database, resets the till by the epoch alone (planted: the
    epoch ignored -> not reset)."""
    # Not under pytest's tmp_path: run as root, the postgres user must reach it.
    root = Path(tempfile.mkdtemp(prefix="restore-drill-"))
    try:
        figures = drill(root, cards=10)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    assert figures["verify_ledger"] == "ok", figures["verify_ledger_says"]
    assert figures["rows_lost_after_target"] == {"cards": 10, "ledger_entries": 20}
    assert figures["rows_after_restore"] == figures["rows_at_target"]
    assert figures["epoch_kept_by_pitr"] is True
    assert figures["reset_without_resync_tills"] is False
    assert figures["cards_skipped_without_resync_tills"] > 0
    assert figures["till_reset"] is True
    assert (figures["skipped"], figures["stale"], figures["differ"]) == (0, 0, 0)
    assert (
        figures["till_cards"]
        == figures["server_cards"]
        == 20 + figures["writes_to_pass_the_cursor"]
    )
    assert figures["copy_epoch_changed"] is True
    assert figures["copy_till_reset"] is True
    assert figures["copy_till_equal"] is True
