"""The "Save to Google Wallet" link: an RS256 JWT Google verifies with the service
account's public key, naming the card's object; its barcode is the card's signed
payload, never a balance."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import Card, Program, WalletPass
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.google import save_url
from tests.wallet.google_fake import (
    ISSUER_ID,
    SERVICE_EMAIL,
    World,
    b64decode,
    card_with_pass,
    google_world,
    real_client,
    verify_rs256,
)

PREFIX = "https://pay.google.com/gp/v/save/"


@pytest.fixture
def world(
    settings: Settings, tmp_path: Path, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    with google_world(settings, tmp_path, session_factory) as made:
        yield made


def link(factory: sessionmaker[Session], world: World, pass_id: int, edges: WalletEdges) -> Any:
    with factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        url = save_url(session, wallet_pass, world.settings, edges)
        session.commit()
        return url


def claims_of(url: str, world: World) -> dict[str, Any]:
    assert url.startswith(PREFIX)
    claims = verify_rs256(url.removeprefix(PREFIX), world.key.public_key())
    assert claims is not None, "the JWT does not verify with the service account's key"
    return claims


def test_the_link_is_a_savetowallet_jwt_signed_rs256_by_the_service_account(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    pass_id = card_with_pass(session_factory, world.merchant_id, points=40, stamps=3)
    edges = WalletEdges(google=real_client(world.settings))

    url = link(session_factory, world, pass_id, edges)

    token = url.removeprefix(PREFIX)
    assert json.loads(b64decode(token.split(".")[0]))["alg"] == "RS256"
    claims = claims_of(url, world)
    assert claims["iss"] == SERVICE_EMAIL
    assert claims["aud"] == "google"
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == ["https://loyalty.example"]
    with session_factory() as session:
        serial = session.get(WalletPass, pass_id).serial_number  # type: ignore[union-attr]
    assert claims["payload"] == {"loyaltyObjects": [{"id": f"{ISSUER_ID}.{serial}"}]}


def test_the_object_google_holds_shows_the_balance_and_the_signed_payload_as_barcode(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    pass_id = card_with_pass(session_factory, world.merchant_id, points=40, stamps=3)

    link(session_factory, world, pass_id, WalletEdges(google=real_client(world.settings)))

    with session_factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        card = session.get(Card, wallet_pass.card_id)
        assert card is not None
        held = world.fake.objects[str(wallet_pass.google_object_id)]
        assert held["barcode"] == {
            "type": "QR_CODE",
            "value": card.qr_code_data,
            "alternateText": card.card_number,
        }
    assert held["state"] == "ACTIVE"
    assert held["classId"] == f"{ISSUER_ID}.loyalty-merchant-{world.merchant_id}"
    assert held["loyaltyPoints"] == {"label": "Points", "balance": {"int": 40}}
    assert held["secondaryLoyaltyPoints"] == {
        "label": "Stamps",
        "balance": {"string": "3 / 10"},
    }
    assert held["textModulesData"][0]["body"] == "Coffee in 7 stamps"
    klass = world.fake.classes[held["classId"]]
    assert (klass["issuerName"], klass["programName"]) == ("Shop", "Test Café")
    assert klass["reviewStatus"] == "UNDER_REVIEW"


def test_unreachable_google_gets_the_whole_object_in_the_link_and_no_balance_in_the_barcode(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    pass_id = card_with_pass(session_factory, world.merchant_id, points=40, stamps=3)
    world.fake.refuse_next = [400]  # the class insert is refused

    claims = claims_of(
        link(session_factory, world, pass_id, WalletEdges(google=real_client(world.settings))),
        world,
    )

    (carried,) = claims["payload"]["loyaltyObjects"]
    with session_factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        assert wallet_pass.google_object_id is None  # has_google_wallet stays false
        card = session.get(Card, wallet_pass.card_id)
        assert card is not None
        assert carried["barcode"] == {
            "type": "QR_CODE",
            "value": card.qr_code_data,
            "alternateText": card.card_number,
        }
    assert "40" not in carried["barcode"]["value"]
    assert carried["loyaltyPoints"]["balance"] == {"int": 40}
    assert claims["payload"]["loyaltyClasses"][0]["id"] == carried["classId"]


def test_no_link_while_the_program_has_google_wallet_off(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    pass_id = card_with_pass(session_factory, world.merchant_id)
    with session_factory() as session:
        program = session.scalars(
            select(Program).where(Program.merchant_id == world.merchant_id)
        ).one()
        program.google_wallet_enabled = False
        session.commit()

    edges = WalletEdges(google=real_client(world.settings))
    assert link(session_factory, world, pass_id, edges) is None
    assert world.fake.requests == []


def test_no_link_while_google_is_not_configured(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    pass_id = card_with_pass(session_factory, world.merchant_id)
    world.settings = world.settings.model_copy(update={"google_service_account_file": None})

    assert link(session_factory, world, pass_id, WalletEdges()) is None


def test_the_class_carries_the_configured_program_logo(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    """Google reviews a class with a logo; the merchant names it by an https URL.
    Planted: the setting not passed on (no programLogo) -> fails."""
    logo = "https://loyalty.example/static/logo.png"
    world.settings = world.settings.model_copy(update={"google_program_logo_url": logo})
    pass_id = card_with_pass(session_factory, world.merchant_id, points=1, stamps=1)

    link(session_factory, world, pass_id, WalletEdges(google=real_client(world.settings)))

    (klass,) = world.fake.classes.values()
    assert klass["programLogo"]["sourceUri"]["uri"] == logo
