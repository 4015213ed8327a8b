# ruff: noqa: F811  # the shared fixtures are imported, then named as arguments
"""Running the worker: several at once on one database (each update pushed once), the
server's own loop in its lifespan, and the CLI for operators who run it apart."""

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Card, WalletPass, WalletPush
from sync_server.wallet import worker
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.passes import ensure_pass
from sync_server.wallet.worker_scan import changed_passes
from tests.support.shop import make_shop
from tests.support.till import pair
from tests.wallet.apns_standin import ApnsStandIn
from tests.wallet.conftest import WALLET_SECRET
from tests.wallet.pass_updates_support import (  # noqa: F401  # fixtures
    apns,
    edges,
    edges_at,
    enroll,
    offline_stamps,
    pass_on_devices,
    settings,
    tls,
    wallet_settings,
)


def test_a_pass_another_worker_marked_after_this_ones_scan_is_not_marked_again(
    client, session_factory, settings
):
    """The interleaving two workers can meet, in order: both scans see the change, one
    marks it, then the other's marking step runs. Planted: the content not re-read
    under the row lock -> a second tag and a second push per device."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = enroll(client, shop)
    pass_id = pass_on_devices(session_factory, card_id, ["phone-a"], settings)
    offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
    now = datetime.now(UTC)

    seen_by_both = list(changed_passes(session_factory, []))
    first = [worker.mark_updated(session_factory, p, now) for p in seen_by_both]
    second = [worker.mark_updated(session_factory, p, now) for p in seen_by_both]

    assert (seen_by_both, first, second) == ([pass_id], [True], [False])
    with session_factory() as session:
        assert len(session.scalars(select(WalletPush)).all()) == 1


@pytest.mark.postgres
def test_a_push_another_worker_is_sending_is_left_to_it(pg_url, apns, edges):
    """One worker holds a push's claim (it is talking to APNs); another worker's run
    sends nothing for it; once the first is done without sending, a run sends it once.
    Planted: no advisory claim on PostgreSQL -> the second worker sends it too."""
    settings = wallet_settings(pg_url)
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    shop = make_shop(factory)
    card_id = _card_without_api(factory, shop.merchant_id)
    pass_on_devices(factory, card_id, ["phone-a"], settings)
    with factory() as session:
        session.execute(update(Card).where(Card.id == card_id).values(stamp_count=3))
        session.commit()
    worker.run_once(factory, WalletEdges(), settings, datetime.now(UTC))  # marked, owed
    with factory() as sending:
        push_id = sending.scalars(select(WalletPush.id)).one()
        assert worker.claim_push(sending, push_id)
        meanwhile = worker.run_once(factory, edges, settings, datetime.now(UTC))
        sending.rollback()  # the first worker ends without sending
    after = worker.run_once(factory, edges, settings, datetime.now(UTC))
    engine.dispose()

    assert meanwhile.pushes_sent == 0
    assert after.pushes_sent == 1
    assert len(apns.pushes_to("phone-a")) == 1


def _card_without_api(factory: sessionmaker[Session], merchant_id: int) -> int:
    from sync_server.models import Customer

    with factory() as session:
        customer = Customer(merchant_id=merchant_id, email="c@example.com")
        session.add(customer)
        session.flush()
        card = Card(
            merchant_id=merchant_id,
            customer_id=customer.id,
            card_number="0000000000000001",
            qr_code_data="qr",
        )
        session.add(card)
        session.commit()
        return card.id


@pytest.mark.postgres
def test_two_workers_at_once_push_each_device_once_per_update(pg_url, apns, tls):
    """Two workers (own engines, sessions and HTTP/2 connections) run together on
    PostgreSQL after each of three rounds of updates to 12 passes on 2 devices each.
    Planted: no advisory claim (both send what they both read) -> duplicates; the pass
    lock waited for (no SKIP LOCKED) and the content not re-read under it -> the second
    worker marks the update again and each device gets two pushes."""
    from fastapi.testclient import TestClient

    from sync_server.main import create_app

    settings = wallet_settings(pg_url)
    app = create_app(settings)
    factory: sessionmaker[Session] = app.state.session_factory
    with TestClient(app) as client:
        shop = make_shop(factory)
        cards = [enroll(client, shop, f"c{n}@example.com")[1] for n in range(12)]
    for card_id in cards:
        pass_on_devices(factory, card_id, [f"a{card_id}", f"b{card_id}"], settings)

    rounds = 3
    for round_ in range(1, rounds + 1):
        with factory() as session:
            session.execute(update(Card).values(stamp_count=round_))
            session.commit()
        _two_workers_at_once(pg_url, settings, apns)

    for card_id in cards:
        for token in (f"a{card_id}", f"b{card_id}"):
            assert len(apns.pushes_to(token)) == rounds, token
    with factory() as session:
        assert session.scalar(select(WalletPass.update_tag).limit(1)) is not None
        assert worker.owed_count(session) == 0
    app.state.engine.dispose()


def _two_workers_at_once(pg_url: str, settings: Settings, apns: ApnsStandIn) -> None:
    start = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def one_worker() -> None:
        engine = make_engine(pg_url)
        try:
            factory = make_session_factory(engine)
            start.wait()
            worker.run_once(factory, edges_at(apns), settings, datetime.now(UTC))
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=one_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads), "a worker did not finish in 120 s"


def test_the_servers_own_loop_pushes_after_a_reconciliation(db_url, session_factory, apns):
    """The lifespan runs the worker when wallets are on; it stops with the app.
    Planted: the lifespan does not start the loop -> no push before the deadline."""
    from fastapi.testclient import TestClient

    from sync_server.main import create_app

    settings = wallet_settings(db_url, worker_seconds=0.2)
    app = create_app(settings)
    app.state.wallet_edges = edges_at(apns)
    with TestClient(app) as client:
        shop = make_shop(session_factory)
        till = pair(client, shop.owner_headers)
        number, card_id = enroll(client, shop)
        pass_on_devices(session_factory, card_id, ["phone-a"], settings)
        offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
        deadline = time.monotonic() + 60
        while not apns.pushes_to("phone-a") and time.monotonic() < deadline:
            time.sleep(0.05)
    app.state.engine.dispose()

    assert len(apns.pushes_to("phone-a")) == 1, "no push reached the stand-in within 60 s"


def test_the_cli_runs_the_worker_once_for_operators_who_run_it_apart(
    client, session_factory, settings, db_url, monkeypatch, capsys
):
    """Planted: --once ignored (the command loops) -> the test's deadline; the report
    not printed -> fails."""
    from sync_server.cli import main

    shop = make_shop(session_factory)
    _, card_id = enroll(client, shop)
    with session_factory() as session:
        card = session.get(Card, card_id)
        assert card is not None
        ensure_pass(session, card, WALLET_SECRET.encode())
        session.commit()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("LOYALTY_WALLET_SECRET", raising=False)
    refused = main(["wallet-worker", "--once"])
    monkeypatch.setenv("LOYALTY_WALLET_SECRET", WALLET_SECRET)

    assert refused == 1
    assert "LOYALTY_WALLET_SECRET" in capsys.readouterr().err
    assert main(["wallet-worker", "--once"]) == 0
    assert "passes_updated=1" in capsys.readouterr().out
