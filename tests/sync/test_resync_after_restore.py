"""A restore rewinds the change stamps under the tills' cursors; `loyalty-server
resync-tills` (run before the restored server takes traffic) makes every till start
over, so no change made after the restore is skipped.

Simulated on SQLite, where the change stamp is a counter in the database file: copying
back an earlier file rewinds it exactly as a point-in-time restore rewinds PostgreSQL's
transaction ids."""

import shutil
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync_server.config import Settings
from sync_server.main import create_app
from sync_server.models import Card, Customer
from sync_server.services.resync import resync_tills
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"


def _enroll(http: TestClient, headers: dict[str, str], tag: str, n: int) -> list[str]:
    made = [
        http.post(f"{API}/cards/enroll", json={"email": f"{tag}{i}@x.example"}, headers=headers)
        for i in range(n)
    ]
    assert all(m.status_code in (200, 201) for m in made), made[-1].text
    return [m.json()["card_number"] for m in made]


def _backup(database: Path, to: Path) -> None:
    with sqlite3.connect(database) as source, sqlite3.connect(to) as target:
        source.backup(target)


def _restore(backup: Path, database: Path) -> None:
    for leftover in database.parent.glob(database.name + "-*"):
        leftover.unlink()
    shutil.copyfile(backup, database)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_after_a_restore_and_resync_tills_no_change_is_skipped(tmp_path, db_url):
    """Planted: no resync after the restore -> 7 of the 12 cards enrolled after it
    reach the till; the other 5 have stamps below its cursor and are skipped, and since
    the restore also rewound the card numbers, the till shows under those 5 numbers the
    lost cards of other customers."""
    database, url = tmp_path / "loyalty.db", db_url
    app = create_app(Settings(database_url=url))
    shop = make_shop(app.state.session_factory)
    with TestClient(app) as http:
        _enroll(http, shop.owner_headers, "before", 2)
        till = pair(http, shop.owner_headers)
        _backup(database, tmp_path / "nightly.db")  # the backup: the till is paired
        _enroll(http, shop.owner_headers, "lost", 5)  # later lost with the server
        till.pull_all()  # the till's cursor is past them
    app.state.engine.dispose()

    _restore(tmp_path / "nightly.db", database)
    app = create_app(Settings(database_url=url))
    with app.state.session_factory() as session:
        assert resync_tills(session) == 1
        session.commit()
    with TestClient(app) as http:
        # Enough writes after the restore for the stamps to pass the till's cursor.
        _enroll(http, shop.owner_headers, "after", 12)
        till.client = http
        pages = till.pull_all()
    with app.state.session_factory() as session:
        truth = {
            card.card_number: session.get_one(Customer, card.customer_id).email
            for card in session.scalars(select(Card))
        }
    app.state.engine.dispose()

    emails = {int(k): c["email"] for k, c in till.state["customers"].items()}
    held = {c["card_number"]: emails[c["customer_id"]] for c in till.state["cards"].values()}
    assert pages[0]["reset"] is True
    assert held == truth
    assert len(held) == 2 + 12  # the restored state exactly: the lost cards are gone
