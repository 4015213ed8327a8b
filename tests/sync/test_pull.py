"""Pull: pages of changes behind an opaque cursor; no change is ever skipped."""

import random
import threading
import time

import pytest
from sqlalchemy import select, update

from sync_server.models import Card
from tests.support.shop import make_shop
from tests.support.till import pair

API = "/api/v1/store/loyalty"


def _enroll(client, headers, n: int) -> list[str]:
    return [
        client.post(
            f"{API}/cards/enroll", json={"email": f"c{i}@example.com"}, headers=headers
        ).json()["card_number"]
        for i in range(n)
    ]


def _rows(pages, entity: str) -> list[dict]:
    """What a pull handed out, over all its pages (a busy cluster may spread a change
    over a later page)."""
    return [row for page in pages for row in page["changes"][entity]]


def _numbers(till) -> set[str]:
    return {c["card_number"] for c in till.state.get("cards", {}).values()}


def until_quiet(till, done, limit: int = 1000, seconds: float = 20.0) -> None:
    """Pull until ``done()``. The horizon is the oldest writing transaction of this
    database, so the test's own writers may hold changes back for a moment: they
    arrive later, never lost. A skipped change never arrives."""
    deadline = time.monotonic() + seconds
    till.pull_all(limit=limit)
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)
        till.pull_all(limit=limit)


def test_a_first_pull_pages_through_everything_the_store_needs(client, session_factory):
    shop = make_shop(session_factory)
    numbers = _enroll(client, shop.owner_headers, 7)
    till = pair(client, shop.owner_headers)

    pulled = till.pull_all(limit=3)
    pages = pulled[: next(i for i, p in enumerate(pulled) if not p["has_more"]) + 1]  # round one

    assert len(pages) > 3
    assert all(p["has_more"] for p in pages[:-1])
    assert not pages[-1]["has_more"]
    assert sorted(c["card_number"] for c in till.state["cards"].values()) == sorted(numbers)
    assert len(till.state["customers"]) == 7
    pin = next(iter(till.state["staff_pins"].values()))
    assert pin["pin_hash"].startswith("$argon2id$")
    assert pages[0]["program"]["stamps_target"] == 10
    assert pages[0]["settings"]["pin_lockout_attempts"] == 5
    assert pages[0]["qr_key"]


def test_an_incremental_pull_returns_only_what_changed(client, session_factory):
    shop = make_shop(session_factory)
    numbers = _enroll(client, shop.owner_headers, 5)
    till = pair(client, shop.owner_headers)
    till.pull_all()

    client.post(f"{API}/stamp", json={"card_number": numbers[2]}, headers=shop.owner_headers)
    pages = till.pull_all()

    cards = _rows(pages, "cards")
    assert [c["card_number"] for c in cards] == [numbers[2]]
    assert cards[0]["stamp_count"] == 1
    assert _rows(pages, "customers") == []


def test_a_garbled_or_foreign_cursor_means_a_full_resync(client, session_factory):
    shop = make_shop(session_factory)
    _enroll(client, shop.owner_headers, 2)
    till, other = pair(client, shop.owner_headers), pair(client, shop.owner_headers)
    other.pull_all()

    for cursor in ("not-a-cursor", other.cursor):
        till.cursor = cursor
        pages = till.pull_all()
        assert pages[0]["reset"] is True
        assert len({c["id"] for c in _rows(pages, "cards")}) == 2


def test_pull_is_scoped_to_the_merchant_and_the_store(client, session_factory):
    mine = make_shop(session_factory, "Mine", stores=2)
    theirs = make_shop(session_factory, "Theirs")
    _enroll(client, theirs.owner_headers, 3)
    mine_cards = _enroll(client, mine.owner_headers, 1)
    till = pair(client, mine.owner_headers)

    till.pull_all()

    assert [c["card_number"] for c in till.state["cards"].values()] == mine_cards
    assert [int(k) for k in till.state["staff_pins"]] == [mine.pin_ids[till.store_id]]


@pytest.mark.postgres
def test_a_transaction_that_commits_late_is_not_skipped(pg_url):
    """The classic trap: T1 writes first but commits after T2. A cursor over write
    order would hand out T2 and move past T1 for ever. Here the horizon waits for T1:
    T2 is held back until T1 commits, then both come."""
    from fastapi.testclient import TestClient

    from sync_server.config import Settings
    from sync_server.main import create_app

    app = create_app(Settings(database_url=pg_url))
    client = TestClient(app)
    factory = app.state.session_factory
    shop = make_shop(factory)
    first, second = _enroll(client, shop.owner_headers, 2)
    till = pair(client, shop.owner_headers)
    till.pull_all()

    slow = factory()
    slow.execute(update(Card).where(Card.card_number == first).values(stamp_count=Card.stamp_count))
    card = slow.scalars(select(Card).where(Card.card_number == first)).one()
    card.points_balance = 77
    slow.flush()  # T1 holds its txid, not committed
    client.post(
        f"{API}/stamp", json={"card_number": second}, headers=shop.owner_headers
    )  # T2 commits

    held = till.pull_all(settle=False)  # one round, every page of it, no waiting
    slow.commit()  # T1 commits after T2
    until_quiet(till, lambda: first in _numbers(till) and second in _numbers(till))
    settled = till.pull_all()[-1]

    # Planted bugs this kills: handing T2 out before T1 commits (an early page would
    # hold it), and caught_up always true (the held round must say it is not).
    assert [page["changes"]["cards"] for page in held] == [[]] * len(held)
    assert held[-1]["caught_up"] is False
    assert settled["caught_up"] is True
    cards = {c["card_number"]: c for c in till.state["cards"].values()}
    assert cards[first]["points_balance"] == 77
    assert cards[second]["stamp_count"] == 1
    slow.close()
    app.state.engine.dispose()


@pytest.mark.postgres
def test_pulling_from_scratch_while_others_write_ends_with_the_server_state(pg_url):
    """Concurrent writers on PostgreSQL commit in any order while a new till pulls
    page by page; after a final pull its copy equals the database exactly."""
    from fastapi.testclient import TestClient

    from sync_server.config import Settings
    from sync_server.main import create_app

    app = create_app(Settings(database_url=pg_url))
    factory = app.state.session_factory
    shop = make_shop(factory)
    setup = TestClient(app)
    numbers = _enroll(setup, shop.owner_headers, 30)
    stop = threading.Event()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        with TestClient(app) as http:
            while not stop.is_set():
                body = {
                    "card_number": rng.choice(numbers),
                    "purchase_amount_cents": rng.randint(100, 900),
                }
                assert (
                    http.post(
                        f"{API}/points/earn", json=body, headers=shop.owner_headers
                    ).status_code
                    == 200
                )

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for w in writers:
        w.start()
    till = pair(TestClient(app), shop.owner_headers)
    for _ in range(15):
        till.pull_all(limit=7, settle=False)  # writers never stop: it cannot settle yet
    stop.set()
    for w in writers:
        w.join()
    with factory() as session:
        truth = {c.card_number: c.points_balance for c in session.scalars(select(Card))}

    def pulled() -> dict[str, int]:
        return {c["card_number"]: c["points_balance"] for c in till.state["cards"].values()}

    until_quiet(till, lambda: pulled() == truth, limit=7)
    assert pulled() == truth
    assert sum(truth.values()) > 0
    app.state.engine.dispose()


def test_a_cursor_older_than_the_limit_means_a_full_resync(client, session_factory):
    """Signed by the server for this till, so only its age can refuse it."""
    import base64

    from sync_server.models.sync import Terminal
    from sync_server.sync.pull import Cursor

    shop = make_shop(session_factory)
    _enroll(client, shop.owner_headers, 2)
    till = pair(client, shop.owner_headers)
    till.pull_all()
    stale = Cursor.model_validate_json(base64.urlsafe_b64decode(till.cursor.split(".")[0]))
    stale.at -= 31 * 24 * 3600
    with session_factory() as session:
        till.cursor = stale.encode(session.get_one(Terminal, till.terminal_id).cursor_key)

    pages = till.pull_all()

    assert pages[0]["reset"] is True
    assert len({c["id"] for c in _rows(pages, "cards")}) == 2


def test_the_columns_format_carries_the_same_rows_as_objects(client, session_factory):
    shop = make_shop(session_factory)
    numbers = _enroll(client, shop.owner_headers, 4)
    client.post(f"{API}/stamp", json={"card_number": numbers[1]}, headers=shop.owner_headers)
    till = pair(client, shop.owner_headers)

    def first_page(wire: str) -> dict:
        response = client.get(
            "/api/v1/sync/pull", params={"format": wire, "limit": 50}, headers=till.headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    objects, columns = first_page("objects"), first_page("columns")

    assert "tables" not in objects
    assert "changes" not in columns
    assert set(columns["tables"]) == set(objects["changes"])
    for entity, table in columns["tables"].items():
        as_objects = [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
        assert as_objects == objects["changes"][entity]
    stamped = next(c for c in objects["changes"]["cards"] if c["card_number"] == numbers[1])
    assert stamped["last_stamp_at"].endswith("+00:00")  # ISO datetimes, as ever
    assert stamped["stamps_day"] is not None
    assert objects["changes"]["staff_pins"][0]["is_active"] is True
    assert objects["changes"]["staff_pins"][0]["deleted"] is False


def test_a_page_never_holds_more_rows_than_the_cap(client, session_factory, monkeypatch):
    from sync_server.sync import pull as pull_service

    shop = make_shop(session_factory)
    numbers = _enroll(client, shop.owner_headers, 5)
    till = pair(client, shop.owner_headers)
    monkeypatch.setattr(pull_service, "MAX_PAGE_ROWS", 3)

    pages = till.pull_all(limit=1000)

    assert all(sum(len(rows) for rows in p["changes"].values()) <= 3 for p in pages)
    assert sorted(c["card_number"] for c in _rows(pages, "cards")) == sorted(numbers)
    too_many = client.get("/api/v1/sync/pull", params={"limit": 5001}, headers=till.headers)
    assert too_many.status_code == 422


@pytest.mark.postgres
def test_a_long_writer_in_another_database_of_the_cluster_holds_back_no_pull(pg_url):
    """The horizon is this database's: a transaction writing in another database of the
    same PostgreSQL (a shared cluster, other tests) cannot touch our rows, so it must
    not hold our pulls back. Planted: the cluster-wide ``pg_snapshot_xmin`` horizon, and
    the card enrolled meanwhile never arrives while the other writer stays open."""
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text

    from sync_server.config import Settings
    from sync_server.main import create_app
    from tests.dbs import database_url

    app = create_app(Settings(database_url=pg_url))
    client = TestClient(app)
    shop = make_shop(app.state.session_factory)
    till = pair(client, shop.owner_headers)
    till.pull_all()
    elsewhere = create_engine(database_url("postgres"))
    with elsewhere.connect() as other:
        other.execute(text("SELECT pg_current_xact_id()"))  # holds an id, open, elsewhere
        [number] = _enroll(client, shop.owner_headers, 1)

        last = till.pull_all()[-1]

        assert number in _numbers(till)
        assert last["caught_up"] is True
        other.rollback()
    elsewhere.dispose()
    app.state.engine.dispose()
