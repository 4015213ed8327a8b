"""Two workers flushing Google's PATCHes at once (PostgreSQL, several processes in
production): each change is PATCHed once, because a worker claims a pass with an
advisory lock and skips the passes another holds; and while Google answers, no row
lock (no transaction id) holds back the tills' pulls, and a change made meanwhile is
not lost."""

import threading
import time
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.models import WalletPass
from sync_server.sync.changes import horizon
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.google import flush_pending, save_url
from sync_server.wallet.ports import GoogleWalletClient
from tests.wallet.google_fake import World, card_with_pass, change_card, google_world, real_client

pytestmark = pytest.mark.postgres

TODAY = date(2026, 11, 30)
DEADLINE = 30.0


@pytest.fixture
def factory(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(pg_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def world(pg_url: str, tmp_path: Path, factory: sessionmaker[Session]) -> Iterator[World]:
    with google_world(Settings(database_url=pg_url), tmp_path, factory) as made:
        yield made


class Held:
    """A client that stops inside its first create or PATCH until released: whoever
    uses it holds its pass's lock while the other worker or request goes on."""

    def __init__(self, inner: GoogleWalletClient) -> None:
        self.inner = inner
        self.inside = threading.Event()
        self.release = threading.Event()

    def upsert_class(self, class_id: str, body: Mapping[str, Any]) -> None:
        self.inner.upsert_class(class_id, body)

    def create_object(self, object_id: str, body: Mapping[str, Any]) -> None:
        self._hold()
        self.inner.create_object(object_id, body)

    def patch_object(self, object_id: str, body: Mapping[str, Any]) -> None:
        self._hold()
        self.inner.patch_object(object_id, body)

    def _hold(self) -> None:
        self.inside.set()
        self.release.wait(DEADLINE)


def waiting_on_a_lock(factory: sessionmaker[Session], done: threading.Thread) -> bool:
    """Whether a session of this database waits for a row lock (polled, with a deadline)."""
    query = text(
        "select count(*) from pg_stat_activity"
        " where datname = current_database() and wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and done.is_alive():
        with factory() as session:
            if session.scalar(query):
                return True
        time.sleep(0.05)
    return False


def cards_with_objects(factory: sessionmaker[Session], world: World, count: int) -> list[int]:
    client = real_client(world.settings)
    ids = []
    for _ in range(count):
        pass_id = card_with_pass(factory, world.merchant_id)
        with factory() as session:
            wallet_pass = session.get(WalletPass, pass_id)
            assert wallet_pass is not None
            save_url(session, wallet_pass, world.settings, WalletEdges(google=client))
            session.commit()
        ids.append(pass_id)
    return ids


def flush(factory: sessionmaker[Session], world: World, client: GoogleWalletClient) -> int:
    return flush_pending(factory, client, world.settings, TODAY)


def flushing_inside_a_patch(
    factory: sessionmaker[Session], world: World
) -> tuple[Held, threading.Thread]:
    """A worker flushing in a thread, stopped inside its first PATCH until released."""
    held = Held(real_client(world.settings))
    flushing = threading.Thread(target=lambda: flush(factory, world, held))
    flushing.start()
    assert held.inside.wait(DEADLINE), "the worker never reached its PATCH"
    return held, flushing


def test_a_worker_flushing_while_another_patches_the_pass_sends_nothing_for_it(
    world: World, factory: sessionmaker[Session]
) -> None:
    (pass_id,) = cards_with_objects(factory, world, 1)
    change_card(factory, pass_id, points_balance=12)
    held = Held(real_client(world.settings))
    results: dict[str, int] = {}

    first = threading.Thread(target=lambda: results.update(a=flush(factory, world, held)))
    first.start()
    assert held.inside.wait(DEADLINE), "the first worker never reached its PATCH"
    second = threading.Thread(
        target=lambda: results.update(b=flush(factory, world, real_client(world.settings)))
    )
    second.start()
    second.join(DEADLINE)
    held.release.set()
    first.join(DEADLINE)
    second.join(DEADLINE)

    assert results == {"a": 1, "b": 0}
    assert len(world.fake.calls("PATCH", "loyaltyObject")) == 1


def test_a_patch_in_flight_holds_back_no_till_s_pull(
    world: World, factory: sessionmaker[Session]
) -> None:
    pass_id, other_pass_id = cards_with_objects(factory, world, 2)
    change_card(factory, pass_id, points_balance=12)
    held, flushing = flushing_inside_a_patch(factory, world)
    change_card(factory, other_pass_id, points_balance=5)  # a till's op commits meanwhile

    with factory() as session:
        pulls_see_everything = horizon(session).caught_up
    held.release.set()
    flushing.join(DEADLINE)

    assert pulls_see_everything, "a transaction id is held while Google answers"
    assert len(world.fake.calls("PATCH", "loyaltyObject")) == 1


def test_a_change_made_while_google_answers_is_patched_next_time(
    world: World, factory: sessionmaker[Session]
) -> None:
    (pass_id,) = cards_with_objects(factory, world, 1)
    change_card(factory, pass_id, points_balance=12)
    held, flushing = flushing_inside_a_patch(factory, world)
    change_card(factory, pass_id, points_balance=99)
    held.release.set()
    flushing.join(DEADLINE)

    with factory() as session:
        still_pending = session.get_one(WalletPass, pass_id).google_pending
    assert still_pending
    assert flush(factory, world, real_client(world.settings)) == 1
    patched = world.fake.calls("PATCH", "loyaltyObject")
    assert [r.body["loyaltyPoints"]["balance"]["int"] for r in patched] == [12, 99]  # type: ignore[index]


def test_two_workers_flushing_many_passes_patch_each_change_once(
    world: World, factory: sessionmaker[Session]
) -> None:
    pass_ids = cards_with_objects(factory, world, 12)
    for points, pass_id in enumerate(pass_ids, start=1):
        change_card(factory, pass_id, points_balance=points)
    start = threading.Barrier(2, timeout=DEADLINE)
    totals: list[int] = []

    def worker() -> None:
        client = real_client(world.settings)
        start.wait()
        totals.append(flush(factory, world, client))

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(DEADLINE)

    patched = [r.path for r in world.fake.calls("PATCH", "loyaltyObject")]
    assert sum(totals) == len(pass_ids)
    assert len(patched) == len(set(patched)) == len(pass_ids)


def test_two_links_made_at_once_create_the_object_once(
    world: World, factory: sessionmaker[Session]
) -> None:
    pass_id = card_with_pass(factory, world.merchant_id)
    held = Held(real_client(world.settings))
    urls: dict[str, str | None] = {}

    def make_link(name: str, client: GoogleWalletClient) -> None:
        with factory() as session:
            wallet_pass = session.get(WalletPass, pass_id)
            assert wallet_pass is not None
            urls[name] = save_url(session, wallet_pass, world.settings, WalletEdges(google=client))
            session.commit()

    first = threading.Thread(target=make_link, args=("a", held))
    first.start()
    assert held.inside.wait(DEADLINE), "the first request never reached its create"
    second = threading.Thread(target=make_link, args=("b", real_client(world.settings)))
    second.start()
    waiting_on_a_lock(factory, second)  # the second waits for the first's row lock
    held.release.set()
    first.join(DEADLINE)
    second.join(DEADLINE)

    assert len(world.fake.calls("POST", "loyaltyObject")) == 1
    assert urls["a"] is not None
    assert urls["a"].startswith("https://pay.google.com/gp/v/save/")
    assert urls["b"] is not None
