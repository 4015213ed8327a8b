"""A card's pass follows the server's reconciled balance: after a reconciliation changes
what the pass shows, each device registered for it gets exactly one empty push, through
the real HTTP/2 sender, at a local APNs stand-in (tests/wallet/apns_standin.py)."""

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Card, Program, WalletPass, WalletPush, WalletRegistration
from sync_server.wallet import worker
from sync_server.wallet.apns import ApnsTokenAuth, HttpApnsSender
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.passes import content_of, ensure_pass
from sync_server.wallet.worker_scan import ScanCursor, changed_passes
from tests.support.shop import make_shop
from tests.support.till import Till, pair
from tests.wallet.apns_standin import ApnsStandIn, Tls, make_tls
from tests.wallet.conftest import PASS_TYPE_ID, TEAM_ID, WALLET_SECRET

API = "/api/v1/store/loyalty"


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Wallets on, Apple's pass type set; the server's own loop off (the tests run the
    worker themselves, except the one about the loop)."""
    return Settings(
        database_url=db_url,
        wallet_secret=WALLET_SECRET,  # type: ignore[arg-type]  # pydantic coerces str
        apple_pass_type_id=PASS_TYPE_ID,
        wallet_worker_seconds=0,
    )


@pytest.fixture(scope="module")
def tls() -> Tls:
    return make_tls()


@pytest.fixture
def apns(tls: Tls) -> Iterator[ApnsStandIn]:
    with ApnsStandIn(tls) as standin:
        yield standin


def _edges(apns: ApnsStandIn) -> WalletEdges:
    auth = ApnsTokenAuth(ec.generate_private_key(ec.SECP256R1()), "KEYID00001", TEAM_ID)
    return WalletEdges(apns=HttpApnsSender(apns.url, auth, verify=apns.tls.client))


@pytest.fixture
def edges(apns: ApnsStandIn) -> WalletEdges:
    return _edges(apns)


def _enroll(client: Any, shop: Any, email: str = "c@example.com") -> tuple[str, int]:
    made = client.post(f"{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers)
    assert made.status_code == 201, made.text
    number = made.json()["card_number"]
    found = client.post(
        f"{API}/cards/lookup", params={"card_number": number}, headers=shop.owner_headers
    )
    return number, int(found.json()["card_id"])


def _pass_on_devices(
    factory: sessionmaker[Session], card_id: int, tokens: list[str], settings: Settings
) -> int:
    """The card's pass as handed out (rendered once by the worker), then registered by
    each device, as a phone does after adding it."""
    with factory() as session:
        card = session.get(Card, card_id)
        assert card is not None
        pass_id = ensure_pass(session, card, WALLET_SECRET.encode()).id
        session.commit()
    worker.run_once(factory, WalletEdges(), settings, datetime.now(UTC))
    with factory() as session:
        for n, token in enumerate(tokens):
            session.add(
                WalletRegistration(pass_id=pass_id, device_library_id=f"dev{n}", push_token=token)
            )
        session.commit()
    return pass_id


def _offline_stamps(till: Till, number: str, pin: int, count: int) -> None:
    ops = [
        till.op(
            {"type": "stamp.add", "card_number": number},
            staff_pin_id=pin,
            offline=True,
            snapshot_age_s=60,
            client_time=till.now() - timedelta(minutes=5 - n),
        )
        for n in range(count)
    ]
    results = till.push(ops).json()["results"]
    assert [r["status"] for r in results] == ["applied"] * count, results


def test_offline_stamps_pushed_by_a_till_update_the_pass_and_push_each_device_once(
    client, session_factory, settings, apns, edges
):
    """Planted: the marking step forgets to owe pushes (no WalletPush rows) -> fails;
    the scan compares the digest with itself (never sees a change) -> fails."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = _enroll(client, shop)
    pass_id = _pass_on_devices(session_factory, card_id, ["phone-a", "watch-b"], settings)

    _offline_stamps(till, number, shop.pin_ids[till.store_id], 3)
    report = worker.run_once(session_factory, edges, settings, datetime.now(UTC))

    assert (report.passes_updated, report.pushes_sent) == (1, 2)
    for token in ("phone-a", "watch-b"):
        [push] = apns.pushes_to(token)
        assert push.headers[":method"] == "POST"
        assert push.headers["apns-topic"] == PASS_TYPE_ID
        assert push.body == b"{}"
    with session_factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        shown = content_of(session, wallet_pass)
        assert shown.stamps == 3
        assert wallet_pass.rendered_state == shown.state_digest()


def test_a_second_run_and_a_change_the_pass_does_not_show_send_nothing(
    client, session_factory, settings, apns, edges
):
    """Planted: a sent push is not marked sent (sent_at stays NULL) -> the second run
    sends again; a run marks every pass it reads (neither the scan nor the marking
    compares with rendered_state) -> pushes again."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = _enroll(client, shop)
    _pass_on_devices(session_factory, card_id, ["phone-a"], settings)
    _offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
    worker.run_once(session_factory, edges, settings, datetime.now(UTC))

    later = datetime.now(UTC) + timedelta(days=1)  # past any retry's backoff
    again = worker.run_once(session_factory, edges, settings, later)
    with session_factory() as session:  # a till touched the card: nothing shown changed
        session.execute(
            update(Card).where(Card.id == card_id).values(last_activity_at=datetime.now(UTC))
        )
        session.commit()
    untouched = worker.run_once(session_factory, edges, settings, later)

    assert (again.passes_updated, again.pushes_sent) == (0, 0)
    assert (untouched.passes_updated, untouched.pushes_sent) == (0, 0)
    assert len(apns.pushes_to("phone-a")) == 1


def test_a_410_from_apns_removes_the_registration(client, session_factory, settings, apns, edges):
    """Planted: a 410 recorded as a failure like any other -> the registration stays."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = _enroll(client, shop)
    pass_id = _pass_on_devices(session_factory, card_id, ["kept", "removed"], settings)
    apns.statuses["removed"] = 410

    _offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
    report = worker.run_once(session_factory, edges, settings, datetime.now(UTC))

    assert (report.pushes_sent, report.registrations_dropped) == (1, 1)
    with session_factory() as session:
        left = session.scalars(
            select(WalletRegistration.push_token).where(WalletRegistration.pass_id == pass_id)
        ).all()
        assert left == ["kept"]
        assert worker.owed_count(session) == 0


def test_apns_down_keeps_the_push_owed_and_a_later_run_delivers_it_once(
    client, session_factory, settings, apns, edges
):
    """Planted: an unreachable APNs marks the push sent -> nothing is owed, the later
    run delivers nothing; no backoff (due at once) -> the run a second later retries."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = _enroll(client, shop)
    _pass_on_devices(session_factory, card_id, ["phone-a"], settings)
    _offline_stamps(till, number, shop.pin_ids[till.store_id], 2)
    now = datetime.now(UTC)

    apns.stop()
    down = worker.run_once(session_factory, edges, settings, now)
    apns.start()
    too_soon = worker.run_once(session_factory, edges, settings, now + timedelta(seconds=1))
    later = worker.run_once(session_factory, edges, settings, now + worker.BACKOFF)
    after = worker.run_once(session_factory, edges, settings, now + 10 * worker.BACKOFF)

    assert (down.passes_updated, down.pushes_sent, down.pushes_failed) == (1, 0, 1)
    assert too_soon.pushes_sent == 0
    assert later.pushes_sent == 1
    assert after.pushes_sent == 0
    assert len(apns.pushes_to("phone-a")) == 1
    with session_factory() as session:
        [push] = session.scalars(select(WalletPush)).all()
        assert (push.attempts, push.last_status) == (2, 200)


def test_a_push_failing_every_time_is_given_up_after_its_attempts(
    client, session_factory, settings, apns, edges
):
    """Planted: no attempt bound (attempts < MAX_ATTEMPTS dropped) -> one more try."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = _enroll(client, shop)
    _pass_on_devices(session_factory, card_id, ["broken"], settings)
    apns.statuses["broken"] = 500
    _offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
    now = datetime.now(UTC)

    for hour in range(2 * worker.MAX_ATTEMPTS):
        worker.run_once(session_factory, edges, settings, now + timedelta(hours=hour))

    assert len(apns.pushes_to("broken")) == worker.MAX_ATTEMPTS


def test_one_run_sends_every_push_due_batch_after_batch(
    client, session_factory, settings, apns, edges, monkeypatch
):
    """Planted: one batch per run (return after the first) -> the fifth device waits."""
    monkeypatch.setattr(worker, "SEND_BATCH", 2)
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = _enroll(client, shop)
    tokens = [f"device-{n}" for n in range(5)]
    _pass_on_devices(session_factory, card_id, tokens, settings)
    _offline_stamps(till, number, shop.pin_ids[till.store_id], 1)

    report = worker.run_once(session_factory, edges, settings, datetime.now(UTC))

    assert report.pushes_sent == 5
    assert all(len(apns.pushes_to(token)) == 1 for token in tokens)


@pytest.mark.parametrize("loyalty_type", ["stamps", "points", "hybrid"])
def test_the_scan_renders_a_pass_as_it_is_served(client, session_factory, loyalty_type):
    """The worker's batched scan computes the digest of passes.content_of, active card
    or not: a pass rendered as served is unchanged, one rendered otherwise is changed.
    Planted: the scan leaves out the program name -> every pass looks changed."""
    shop = make_shop(session_factory, loyalty_type=loyalty_type)
    _, card_id = _enroll(client, shop)
    with session_factory() as session:
        card = session.get(Card, card_id)
        assert card is not None
        card.points_balance, card.stamp_count, card.is_active = 42, 4, False
        wallet_pass = ensure_pass(session, card, WALLET_SECRET.encode())
        wallet_pass.rendered_state = content_of(session, wallet_pass).state_digest()
        session.commit()
        pass_id = wallet_pass.id

    assert list(changed_passes(session_factory, [])) == []
    with session_factory() as session:
        session.execute(update(WalletPass).values(rendered_state="an older rendering"))
        session.commit()
    assert list(changed_passes(session_factory, [])) == [pass_id]


def test_a_loops_cursor_reads_only_what_changed_since_its_last_run(
    client, session_factory, settings
):
    """A loop's later runs read only passes whose card, program or pass is new, and
    still find every change. Planted: the cursor's card bound taken after the scan
    instead of before -> (SQLite, one writer) still passes, so also: the card filter
    using > instead of >= -> the stamped card's pass is missed."""
    shop = make_shop(session_factory)
    cards = [_enroll(client, shop, f"c{n}@example.com")[1] for n in range(3)]
    for card_id in cards[:2]:
        _pass_on_devices(session_factory, card_id, [], settings)
    cursor = ScanCursor()
    first = worker.run_once(session_factory, WalletEdges(), settings, datetime.now(UTC), cursor)

    idle = worker.run_once(session_factory, WalletEdges(), settings, datetime.now(UTC), cursor)
    with session_factory() as session:
        card = session.get(Card, cards[0])
        assert card is not None
        card.stamp_count = 1
        session.commit()
    stamped = worker.run_once(session_factory, WalletEdges(), settings, datetime.now(UTC), cursor)
    _pass_on_devices(session_factory, cards[2], [], settings)  # marks it without the cursor
    with session_factory() as session:
        session.execute(update(WalletPass).values(rendered_state=""))  # forget every render
        session.commit()
    newer = worker.run_once(session_factory, WalletEdges(), settings, datetime.now(UTC), cursor)
    with session_factory() as session:
        session.execute(update(Program).values(display_name="Renamed Café"))
        session.commit()
    renamed = worker.run_once(session_factory, WalletEdges(), settings, datetime.now(UTC), cursor)

    assert (first.passes_scanned, first.passes_updated) == (2, 0)
    assert (idle.passes_scanned, idle.passes_updated) == (0, 0)
    assert (stamped.passes_scanned, stamped.passes_updated) == (1, 1)
    assert (newer.passes_scanned, newer.passes_updated) == (1, 1)  # the third pass only
    assert (renamed.passes_scanned, renamed.passes_updated) == (3, 3)


def test_a_pass_another_worker_marked_after_this_ones_scan_is_not_marked_again(
    client, session_factory, settings
):
    """The interleaving two workers can meet, in order: both scans see the change, one
    marks it, then the other's marking step runs. Planted: the content not re-read
    under the row lock -> a second tag and a second push per device."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = _enroll(client, shop)
    pass_id = _pass_on_devices(session_factory, card_id, ["phone-a"], settings)
    _offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
    now = datetime.now(UTC)

    seen_by_both = list(changed_passes(session_factory, []))
    first = [worker.mark_updated(session_factory, p, now) for p in seen_by_both]
    second = [worker.mark_updated(session_factory, p, now) for p in seen_by_both]

    assert (seen_by_both, first, second) == ([pass_id], [True], [False])
    with session_factory() as session:
        assert len(session.scalars(select(WalletPush)).all()) == 1


def test_a_pass_marked_late_in_a_long_run_gets_a_tag_of_when_it_was_marked(
    client, session_factory, settings
):
    """A device lists passes updated since the newest tag it saw; a pass marked now with
    the tag of its run's start (an hour ago, say) would sort before passes other workers
    marked meanwhile, and be missed. Planted: the tag from the run's ``now`` only."""
    shop = make_shop(session_factory)
    _, card_id = _enroll(client, shop)
    pass_id = _pass_on_devices(session_factory, card_id, [], settings)
    with session_factory() as session:
        session.execute(update(Card).where(Card.id == card_id).values(stamp_count=2))
        session.commit()
    before = datetime.now(UTC)

    worker.mark_updated(session_factory, pass_id, before - timedelta(hours=1))

    with session_factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        assert wallet_pass.updated_at >= before
        assert wallet_pass.update_tag >= int(before.timestamp() * 1_000_000)


@pytest.mark.postgres
def test_a_push_another_worker_is_sending_is_left_to_it(pg_url, apns, edges):
    """One worker holds a push's claim (it is talking to APNs); another worker's run
    sends nothing for it; once the first is done without sending, a run sends it once.
    Planted: no advisory claim on PostgreSQL -> the second worker sends it too."""
    settings = Settings(
        database_url=pg_url,
        wallet_secret=WALLET_SECRET,  # type: ignore[arg-type]
        apple_pass_type_id=PASS_TYPE_ID,
        wallet_worker_seconds=0,
    )
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    shop = make_shop(factory)
    card_id = _card_without_api(factory, shop.merchant_id)
    _pass_on_devices(factory, card_id, ["phone-a"], settings)
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

    settings = Settings(
        database_url=pg_url,
        wallet_secret=WALLET_SECRET,  # type: ignore[arg-type]
        apple_pass_type_id=PASS_TYPE_ID,
        wallet_worker_seconds=0,
    )
    app = create_app(settings)
    factory: sessionmaker[Session] = app.state.session_factory
    with TestClient(app) as client:
        shop = make_shop(factory)
        cards = [_enroll(client, shop, f"c{n}@example.com")[1] for n in range(12)]
    for card_id in cards:
        _pass_on_devices(factory, card_id, [f"a{card_id}", f"b{card_id}"], settings)

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
            worker.run_once(factory, _edges(apns), settings, datetime.now(UTC))
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

    settings = Settings(
        database_url=db_url,
        wallet_secret=WALLET_SECRET,  # type: ignore[arg-type]
        apple_pass_type_id=PASS_TYPE_ID,
        wallet_worker_seconds=0.2,
    )
    app = create_app(settings)
    app.state.wallet_edges = _edges(apns)
    with TestClient(app) as client:
        shop = make_shop(session_factory)
        till = pair(client, shop.owner_headers)
        number, card_id = _enroll(client, shop)
        _pass_on_devices(session_factory, card_id, ["phone-a"], settings)
        _offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
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
    _, card_id = _enroll(client, shop)
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
