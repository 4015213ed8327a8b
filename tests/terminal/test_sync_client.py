"""The terminal's sync client against a real server process (uvicorn, two workers,
PostgreSQL): pair, pull, work offline while the server is down, come back, converge."""

import random
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bench.server_process import ServerProcess
from common.operations import AddStamp, EarnPoints, RedeemPoints
from desktop.engine.local_store import LocalStore
from desktop.engine.staff import check_pin
from desktop.engine.sync_client import KeyringTokens, SyncClient
from desktop.engine.till import Confirmed, Till
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Card, StaffPin, Store
from tests.support.shop import make_shop

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
API = "/api/v1/store/loyalty"


@pytest.fixture
def world(pg_url, tmp_path, file_keyring):
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    shop = make_shop(factory, cooldown_minutes=0, max_daily_stamps=100, welcome_bonus_points=50)
    server = ServerProcess(pg_url, workers=2)
    server.start()
    http = httpx.Client(base_url=server.url, headers=shop.owner_headers)
    numbers = [
        http.post(f"{API}/cards/enroll", json={"email": f"s{i}@x.example"}).json()["card_number"]
        for i in range(5)
    ]
    store = LocalStore(tmp_path / "till.db")
    client = SyncClient(store, KeyringTokens("test-till"))
    code = http.post("/api/v1/terminals/pairing-codes").json()["code"]
    client.pair(server.url, code, "Front till")
    yield shop, server, http, store, client, factory, numbers
    http.close()
    server.stop()
    engine.dispose()


def _sync_until_empty(client: SyncClient, seconds: float = 30.0) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=seconds)
    while datetime.now(UTC) < deadline:
        state = client.sync_once()
        if state.online and state.pending == 0:
            return
    raise AssertionError(f"outbox not drained: {client.state}")


def test_offline_work_while_the_server_is_down_lands_exactly_as_projected(world, file_keyring):
    shop, server, _, store, client, factory, numbers = world
    assert file_keyring.get_password("loyalty-terminal", "test-till")  # token in the keyring
    assert client.sync_once().online
    till = Till(store)
    pin = check_pin(store, shop.pin_ids[shop.store_ids[0]], shop.pin, datetime.now(UTC))
    assert pin == shop.pin_ids[shop.store_ids[0]]

    server.stop()
    assert client.sync_once().online is False
    rng, cards, done = random.Random(11), list(numbers), 0
    for i in range(200):
        if i in (20, 120):
            made = till.enroll(f"offline{i}@x.example", None, None, pin)
            assert isinstance(made, Confirmed)
            cards.append(made.card.card_number)
            continue
        card = rng.choice(cards)
        roll = rng.random()
        if roll < 0.45:
            op = AddStamp(card_number=card)
        elif roll < 0.9:
            op = EarnPoints(card_number=card, purchase_amount_cents=rng.randint(100, 4000))
        else:
            op = RedeemPoints(card_number=card, reward_id="ten")
        done += isinstance(till.perform(op, pin), Confirmed)
    projected = {n: till.card(n) for n in cards}
    assert done > 150
    assert client.sync_once().pending == done + 2

    server.start()
    _sync_until_empty(client)

    with factory() as session:
        server_cards = {
            c.card_number: (c.stamp_count, c.points_balance) for c in session.scalars(select(Card))
        }
    assert {n: (p.stamp_count, p.points_balance) for n, p in projected.items()} == {
        n: server_cards[n] for n in cards
    }
    assert client.state.rejected == 0


def test_a_first_sync_in_small_pages_resumes_after_a_page_that_failed_to_land(world, monkeypatch):
    _, _, _, store, client, _, numbers = world
    client.pull_rows = 2  # customers, cards and the PIN over several prefetched pages
    land = store.apply_pull_page
    landed: list[str] = []

    def land_two_then_fail(page, settle=False):
        if len(landed) == 2:
            raise OSError("disk full")
        landed.append(page["cursor"])
        return land(page, settle)

    monkeypatch.setattr(store, "apply_pull_page", land_two_then_fail)
    with pytest.raises(OSError, match="disk full"):
        client.sync_once()
    monkeypatch.setattr(store, "apply_pull_page", land)

    assert store.get_meta("cursor") == landed[-1]  # the last page written, and its rows
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM cards").scalar_one() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM customers").scalar_one() == 4

    assert client.sync_once().online

    with store.engine.connect() as conn:
        cards = {n for (n,) in conn.exec_driver_sql("SELECT card_number FROM cards")}
    assert cards == set(numbers)
    assert store.snapshot_card(numbers[0]).points_balance == 50


def test_wrong_pins_lock_locally_and_reach_the_server(world):
    shop, _, _, store, client, factory, _ = world
    client.sync_once()
    pin_id = shop.pin_ids[shop.store_ids[0]]
    results = [check_pin(store, pin_id, "0000", datetime.now(UTC)) for _ in range(5)]

    client.sync_once()

    assert [getattr(r, "code", None) for r in results][-1] == "STAFF_PIN_LOCKED"
    with factory() as session:
        assert session.get_one(StaffPin, pin_id).failed_attempts == 5


def test_a_revoked_till_wipes_its_cache_and_asks_to_pair_again(world, file_keyring):
    """Planted bug this kills: a wipe that keeps the card rows (the old assertion looked
    for a card that never existed)."""
    _, _, http, store, client, _, numbers = world
    client.sync_once()
    terminal_id = store.get_meta("terminal_id")
    assert all(store.snapshot_card(n) is not None for n in numbers)
    assert http.post(f"/api/v1/terminals/{terminal_id}/revoke").status_code == 200

    state = client.sync_once()

    assert state.needs_pairing is True
    assert file_keyring.get_password("loyalty-terminal", "test-till") is None
    assert [store.snapshot_card(n) for n in numbers] == [None] * len(numbers)
    assert store.get_meta("cursor") is None


class SkewedClock:
    def __init__(self, hours: float) -> None:
        self.skew = timedelta(hours=hours)
        self.elapsed = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.skew + self.elapsed


def _zone_at_local_noon() -> str:
    """A fixed-offset zone where it is about noon now, so 45 minutes of stamps never
    straddle the store's midnight whatever time of day the test runs."""
    offset = 12 - datetime.now(UTC).hour  # -11 … +12 hours from UTC
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")  # Etc/ signs are inverted


@pytest.mark.parametrize("hours", [-6, 5], ids=["till 6h behind", "till 5h ahead"])
def test_a_skewed_till_decides_cooldown_and_daily_limit_like_the_server(world, tmp_path, hours):
    shop, _, http, _, _, factory, numbers = world
    with factory() as session:
        session.get_one(Store, shop.store_ids[0]).timezone = _zone_at_local_noon()
        session.commit()
    http.put(f"{API}/program", json={"cooldown_minutes": 15, "max_daily_stamps": 2})
    clock = SkewedClock(hours)
    store = LocalStore(tmp_path / "skewed.db", local_now=clock)
    client = SyncClient(store, KeyringTokens("skewed-till"))
    client.pair(str(http.base_url), http.post("/api/v1/terminals/pairing-codes").json()["code"])
    assert client.sync_once().online
    till, pin = Till(store), shop.pin_ids[shop.store_ids[0]]
    card = numbers[0]

    first = till.perform(AddStamp(card_number=card), pin)
    clock.elapsed += timedelta(minutes=5)
    too_soon = till.perform(AddStamp(card_number=card), pin)
    clock.elapsed += timedelta(minutes=20)
    second = till.perform(AddStamp(card_number=card), pin)
    clock.elapsed += timedelta(minutes=20)
    third = till.perform(AddStamp(card_number=card), pin)
    _sync_until_empty(client)

    assert isinstance(first, Confirmed)
    assert too_soon.code == "COOLDOWN_ACTIVE"
    assert isinstance(second, Confirmed)
    assert third.code == "DAILY_STAMP_LIMIT"
    assert client.state.rejected == 0  # the server agreed with every offline decision
    with factory() as session:
        assert session.scalars(select(Card.stamp_count).where(Card.card_number == card)).one() == 2


def test_two_tills_of_two_stores_overspend_one_card_and_converge(pg_url, tmp_path, file_keyring):
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    shop = make_shop(factory, stores=2, welcome_bonus_points=50)
    server = ServerProcess(pg_url, workers=2)
    server.start()
    try:
        from tests.support.shop import owner_headers_for

        owners = [shop.owner_headers, owner_headers_for(factory, shop, shop.store_ids[1])]
        card = httpx.post(
            f"{server.url}{API}/cards/enroll", json={"email": "both@x.example"}, headers=owners[0]
        ).json()["card_number"]
        tills = []
        for i, headers in enumerate(owners):
            store = LocalStore(tmp_path / f"till{i}.db")
            client = SyncClient(store, KeyringTokens(f"till-{i}"))
            code = httpx.post(
                f"{server.url}/api/v1/terminals/pairing-codes", headers=headers
            ).json()["code"]
            client.pair(server.url, code)
            assert client.sync_once().online
            tills.append((store, client, Till(store), shop.pin_ids[shop.store_ids[i]]))

        spent = [
            till.perform(RedeemPoints(card_number=card, reward_id="fifty"), pin)
            for _, _, till, pin in tills
        ]
        for _, client, _, _ in tills:
            _sync_until_empty(client)
        for _, client, _, _ in tills:
            client.sync_once()

        assert all(isinstance(s, Confirmed) for s in spent)
        with factory() as session:
            balance = session.scalars(
                select(Card.points_balance).where(Card.card_number == card)
            ).one()
        assert balance == -50  # policy 'allow': what was handed over is recorded
        assert [tills[i][2].card(card).points_balance for i in (0, 1)] == [-50, -50]
        flagged = [[e.outcome["code"] for e in store.attention()] for store, *_ in tills]
        assert sorted(flagged) == [[], ["OFFLINE_OVERSPEND"]]
    finally:
        server.stop()
        engine.dispose()


@pytest.fixture
def running(world):
    """The sync client in its background thread, as the app runs it."""
    client = world[4]
    stop = threading.Event()
    worker = threading.Thread(target=client.run, args=(stop,), kwargs={"interval": 0.5})
    worker.start()
    yield world
    stop.set()
    client.wake()
    worker.join(timeout=15)
    assert not worker.is_alive()


def test_online_a_redemption_returns_the_servers_verdict(running):
    shop, _, http, store, client, _, numbers = running
    pin = shop.pin_ids[shop.store_ids[0]]
    _wait_until(lambda: client.state.online)
    till = Till(store, online=lambda: client.state.online, verdict=client.await_verdict)
    for _ in range(5):  # another till spends the 50 welcome points meanwhile
        assert (
            http.post(
                f"{API}/points/redeem", json={"card_number": numbers[0], "reward_id": "ten"}
            ).status_code
            == 200
        )

    refused = till.perform(RedeemPoints(card_number=numbers[0], reward_id="ten"), pin)
    granted = till.perform(RedeemPoints(card_number=numbers[1], reward_id="ten"), pin)
    earned = till.perform(EarnPoints(card_number=numbers[1], purchase_amount_cents=500), pin)

    assert refused.code == "INSUFFICIENT_POINTS"
    assert (granted.verified, granted.card.points_balance) == (True, 40)
    assert (earned.verified, earned.card.points_balance) == (False, 45)
    assert [e.outcome["code"] for e in store.attention()] == ["INSUFFICIENT_POINTS"]


def test_online_a_redemption_stands_as_decided_when_the_server_is_slow_to_answer(running):
    shop, server, _, store, client, _, numbers = running
    _wait_until(lambda: client.state.online)
    server.stop()  # the till still believes it is online until its next round
    till = Till(store, online=lambda: True, verdict=client.await_verdict)

    done = till.perform(
        RedeemPoints(card_number=numbers[2], reward_id="ten"), shop.pin_ids[shop.store_ids[0]]
    )

    # Order and state, not seconds: the wait was given up before any verdict came (the
    # op is still pending), and the redemption stands as the till decided it.
    assert store.entry(done.op_id).status == "pending"
    assert (done.verified, done.card.points_balance) == (False, 40)
    assert [e.op_id for e in store.entries()] == [done.op_id]


def _wait_until(condition, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
