# ruff: noqa: F811  # the shared fixtures are imported, then named as arguments
"""A card's pass follows the server's reconciled balance: after a reconciliation changes
what the pass shows, each device registered for it gets exactly one empty push, through
the real HTTP/2 sender, at a local APNs stand-in (tests/wallet/apns_standin.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from sync_server.models import Card, Program, WalletPass, WalletPush, WalletRegistration
from sync_server.wallet import worker
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.passes import content_of, ensure_pass
from sync_server.wallet.worker_scan import ScanCursor, changed_passes
from tests.support.shop import make_shop
from tests.support.till import pair
from tests.wallet.conftest import PASS_TYPE_ID, WALLET_SECRET
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


def test_offline_stamps_pushed_by_a_till_update_the_pass_and_push_each_device_once(
    client, session_factory, settings, apns, edges
):
    """Planted: the marking step forgets to owe pushes (no WalletPush rows) -> fails;
    the scan compares the digest with itself (never sees a change) -> fails."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = enroll(client, shop)
    pass_id = pass_on_devices(session_factory, card_id, ["phone-a", "watch-b"], settings)

    offline_stamps(till, number, shop.pin_ids[till.store_id], 3)
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
    number, card_id = enroll(client, shop)
    pass_on_devices(session_factory, card_id, ["phone-a"], settings)
    offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
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
    number, card_id = enroll(client, shop)
    pass_id = pass_on_devices(session_factory, card_id, ["kept", "removed"], settings)
    apns.statuses["removed"] = 410

    offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
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
    number, card_id = enroll(client, shop)
    pass_on_devices(session_factory, card_id, ["phone-a"], settings)
    offline_stamps(till, number, shop.pin_ids[till.store_id], 2)
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
    number, card_id = enroll(client, shop)
    pass_on_devices(session_factory, card_id, ["broken"], settings)
    apns.statuses["broken"] = 500
    offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
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
    number, card_id = enroll(client, shop)
    tokens = [f"device-{n}" for n in range(5)]
    pass_on_devices(session_factory, card_id, tokens, settings)
    offline_stamps(till, number, shop.pin_ids[till.store_id], 1)

    report = worker.run_once(session_factory, edges, settings, datetime.now(UTC))

    assert report.pushes_sent == 5
    assert all(len(apns.pushes_to(token)) == 1 for token in tokens)


@pytest.mark.parametrize("loyalty_type", ["stamps", "points", "hybrid"])
def test_the_scan_renders_a_pass_as_it_is_served(client, session_factory, loyalty_type):
    """The worker's batched scan computes the digest of passes.content_of, active card
    or not: a pass rendered as served is unchanged, one rendered otherwise is changed.
    Planted: the scan leaves out the program name -> every pass looks changed."""
    shop = make_shop(session_factory, loyalty_type=loyalty_type)
    _, card_id = enroll(client, shop)
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
    cards = [enroll(client, shop, f"c{n}@example.com")[1] for n in range(3)]
    for card_id in cards[:2]:
        pass_on_devices(session_factory, card_id, [], settings)
    cursor = ScanCursor()
    first = worker.run_once(session_factory, WalletEdges(), settings, datetime.now(UTC), cursor)

    idle = worker.run_once(session_factory, WalletEdges(), settings, datetime.now(UTC), cursor)
    with session_factory() as session:
        card = session.get(Card, cards[0])
        assert card is not None
        card.stamp_count = 1
        session.commit()
    stamped = worker.run_once(session_factory, WalletEdges(), settings, datetime.now(UTC), cursor)
    pass_on_devices(session_factory, cards[2], [], settings)  # marks it without the cursor
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


def test_a_pass_marked_late_in_a_long_run_gets_a_tag_of_when_it_was_marked(
    client, session_factory, settings
):
    """A device lists passes updated since the newest tag it saw; a pass marked now with
    the tag of its run's start (an hour ago, say) would sort before passes other workers
    marked meanwhile, and be missed. Planted: the tag from the run's ``now`` only."""
    shop = make_shop(session_factory)
    _, card_id = enroll(client, shop)
    pass_id = pass_on_devices(session_factory, card_id, [], settings)
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


def test_pushes_sent_or_given_up_a_week_ago_are_swept_and_the_rest_kept(
    client, session_factory, settings, apns, edges, monkeypatch
):
    """Planted: a sweep that ignores the age, or that takes owed pushes too -> fails."""
    monkeypatch.setattr(worker, "SWEEP_BATCH", 2)  # batch after batch
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number, card_id = enroll(client, shop)
    pass_on_devices(session_factory, card_id, ["phone", "watch", "broken"], settings)
    apns.statuses["broken"] = 500
    offline_stamps(till, number, shop.pin_ids[till.store_id], 1)
    now = datetime.now(UTC)
    for hour in range(2 * worker.MAX_ATTEMPTS):  # phone and watch sent, broken given up
        worker.run_once(session_factory, edges, settings, now + timedelta(hours=hour))
    with session_factory() as session:  # and one owed for long (APNs refusing it)
        phone = session.scalars(
            select(WalletRegistration.id).where(WalletRegistration.push_token == "phone")
        ).one()
        session.add(
            WalletPush(
                registration_id=phone,
                update_tag=10**15,
                created_at=now - timedelta(days=30),
                attempts=worker.MAX_ATTEMPTS - 1,
            )
        )
        session.commit()

    def left() -> list[tuple[str, bool]]:
        with session_factory() as session:
            rows = session.execute(
                select(WalletRegistration.push_token, WalletPush.sent_at.is_not(None))
                .join(WalletPush, WalletPush.registration_id == WalletRegistration.id)
                .order_by(WalletRegistration.push_token, WalletPush.id)
            ).all()
        return [(token, sent) for token, sent in rows]

    assert left() == [("broken", False), ("phone", True), ("phone", False), ("watch", True)]
    within_the_week = worker.sweep_pushes(session_factory, now + timedelta(days=6, hours=23))
    after_the_week = [
        worker.sweep_pushes(session_factory, now + timedelta(days=8)) for _ in range(3)
    ]

    assert within_the_week == 0
    assert after_the_week == [2, 1, 0]
    assert left() == [("phone", False)]
