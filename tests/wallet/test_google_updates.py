"""What Google's REST API receives for a card: one class insert and one object create
however often its link is made, then balance changes as PATCHes batched within the
daily quota (3), the latest state winning; a deactivated card becomes INACTIVE."""

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import WalletPass
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.google import flush_pending, save_url
from sync_server.wallet.ports import GoogleWalletClient
from tests.wallet.google_fake import World, card_with_pass, change_card, google_world, real_client

TODAY = date(2026, 11, 30)


@pytest.fixture
def world(
    settings: Settings, tmp_path: Path, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    with google_world(settings, tmp_path, session_factory) as made:
        yield made


@pytest.fixture
def client(world: World) -> GoogleWalletClient:
    return real_client(world.settings)


def make_link(factory: sessionmaker[Session], world: World, pass_id: int, client: object) -> None:
    with factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        edges = WalletEdges(google=client)  # type: ignore[arg-type]
        assert save_url(session, wallet_pass, world.settings, edges) is not None
        session.commit()


def flush(
    factory: sessionmaker[Session], world: World, client: GoogleWalletClient, day: date
) -> int:
    return flush_pending(factory, client, world.settings, day)


def patched_points(world: World) -> list[int]:
    return [
        r.body["loyaltyPoints"]["balance"]["int"]
        for r in world.fake.calls("PATCH", "loyaltyObject")
    ]  # type: ignore[index]


def a_card_with_its_object(
    factory: sessionmaker[Session], world: World, client: GoogleWalletClient
) -> int:
    pass_id = card_with_pass(factory, world.merchant_id)
    make_link(factory, world, pass_id, client)
    return pass_id


def test_one_class_insert_and_one_object_create_however_often_the_link_is_made(
    world: World, session_factory: sessionmaker[Session], client: GoogleWalletClient
) -> None:
    pass_id = card_with_pass(session_factory, world.merchant_id)

    for _ in range(4):
        make_link(session_factory, world, pass_id, client)

    assert len(world.fake.calls("POST", "loyaltyClass")) == 1
    assert len(world.fake.calls("POST", "loyaltyObject")) == 1
    with session_factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        assert wallet_pass.google_object_id in world.fake.objects  # has_google_wallet


def test_ten_changes_in_a_day_cost_at_most_three_patches_and_the_rest_goes_out_next_day(
    world: World, session_factory: sessionmaker[Session], client: GoogleWalletClient
) -> None:
    pass_id = a_card_with_its_object(session_factory, world, client)

    # Ten reconciliations through the day, the worker flushing after bursts of them.
    for burst in ([5, 10, 15, 20], [25, 30, 35], [40, 45], [50]):
        for points in burst:
            change_card(session_factory, pass_id, points_balance=points)
        flush(session_factory, world, client, TODAY)

    assert patched_points(world) == [20, 35, 45]  # each PATCH the latest at its time
    assert flush(session_factory, world, client, TODAY) == 0

    assert flush(session_factory, world, client, TODAY + timedelta(days=1)) == 1
    assert patched_points(world)[-1] == 50
    (held,) = world.fake.objects.values()
    assert held["loyaltyPoints"]["balance"] == {"int": 50}
    assert flush(session_factory, world, client, TODAY + timedelta(days=1)) == 0


def test_a_deactivated_cards_object_becomes_inactive(
    world: World, session_factory: sessionmaker[Session], client: GoogleWalletClient
) -> None:
    pass_id = a_card_with_its_object(session_factory, world, client)

    change_card(session_factory, pass_id, is_active=False)
    flush(session_factory, world, client, TODAY)

    (held,) = world.fake.objects.values()
    assert held["state"] == "INACTIVE"


def test_a_change_back_to_what_google_shows_sends_nothing(
    world: World, session_factory: sessionmaker[Session], client: GoogleWalletClient
) -> None:
    pass_id = a_card_with_its_object(session_factory, world, client)
    change_card(session_factory, pass_id, points_balance=0)

    assert flush(session_factory, world, client, TODAY) == 0
    assert world.fake.calls("PATCH", "loyaltyObject") == []
    with session_factory() as session:
        assert session.get(WalletPass, pass_id).google_pending is False  # type: ignore[union-attr]


def test_a_refused_patch_is_logged_without_the_token_and_stays_pending(
    world: World,
    session_factory: sessionmaker[Session],
    client: GoogleWalletClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pass_id = a_card_with_its_object(session_factory, world, client)
    change_card(session_factory, pass_id, points_balance=7)
    world.fake.refuse_next = [400]

    with caplog.at_level(logging.WARNING):
        assert flush(session_factory, world, client, TODAY) == 0

    assert "400" in caplog.text
    assert all(token not in caplog.text for token in world.fake.tokens)
    with session_factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        assert (wallet_pass.google_pending, wallet_pass.google_patches_on_day) == (True, 0)
    assert flush(session_factory, world, client, TODAY) == 1
    assert patched_points(world)[-1] == 7


def test_a_passing_outage_is_retried_within_the_same_flush(
    world: World, session_factory: sessionmaker[Session], client: GoogleWalletClient
) -> None:
    pass_id = a_card_with_its_object(session_factory, world, client)
    change_card(session_factory, pass_id, points_balance=7)
    world.fake.refuse_next = [503]

    assert flush(session_factory, world, client, TODAY) == 1
    assert patched_points(world) == [7, 7]  # refused once, then accepted
    (held,) = world.fake.objects.values()
    assert held["loyaltyPoints"]["balance"] == {"int": 7}
