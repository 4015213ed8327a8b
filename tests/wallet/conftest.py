"""Wallet fixtures shared by the Apple, Google and worker tests.

``apple_chain``: a certificate chain made here, shaped like Apple's (root -> WWDR-like
intermediate -> pass certificate whose UID is the pass type id and OU the team id), its
PEM files in a temporary directory. ``FakeSigner``: a PassSigner without certificates,
for tests about what a pass says rather than how it is signed. ``settings`` gains a
wallet secret and a public address, so every wallet test runs with wallets able to work,
and the app's worker loop off.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import Card, Program
from sync_server.wallet import demo_chain
from sync_server.wallet.demo_chain import AppleChain
from sync_server.wallet.passes import auth_token, ensure_pass
from tests.support.shop import make_shop

PASS_TYPE_ID = "pass.example.loyalty.test"
TEAM_ID = "TEAMID1234"
WALLET_SECRET = "test-wallet-secret-not-for-production"
PUBLIC_BASE_URL = "https://loyalty.example.test"


@dataclass
class FakeSigner:
    """Signs nothing: the signature is a digest of the manifest, so a test can still see
    that the manifest it got is the one that was signed."""

    pass_type_identifier: str = PASS_TYPE_ID
    team_identifier: str = TEAM_ID

    def sign(self, manifest: bytes) -> bytes:
        return b"fake-signature:" + hashlib.sha256(manifest).hexdigest().encode()


def make_apple_chain(directory: Path) -> AppleChain:
    return demo_chain.make_apple_chain(directory, PASS_TYPE_ID, TEAM_ID)


@pytest.fixture(scope="session")
def apple_chain(tmp_path_factory: pytest.TempPathFactory) -> AppleChain:
    """One chain per session: RSA key generation is slow on a shared machine."""
    return make_apple_chain(tmp_path_factory.mktemp("apple-chain"))


@pytest.fixture
def fake_signer() -> FakeSigner:
    return FakeSigner()


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The default settings on this test's database, with wallets able to work. The
    app's own worker loop stays off (it would mark passes while a test reads them); a
    test of the loop sets ``wallet_worker_seconds`` itself."""
    return Settings(
        database_url=db_url,
        wallet_secret=WALLET_SECRET,  # type: ignore[arg-type]  # pydantic coerces str
        public_base_url=PUBLIC_BASE_URL,
        wallet_worker_seconds=0,
    )


@dataclass(frozen=True)
class IssuedPass:
    """A card with its pass record, as a till's add-to-wallet link would leave it."""

    merchant_id: int
    card_id: int
    card_number: str
    qr_payload: str
    serial: str
    auth_token: str
    owner_headers: dict[str, str]


def issue_pass(
    client: Any,
    factory: sessionmaker[Session],
    *,
    name: str = "Shop",
    email: str = "holder@example.com",
    apple: bool = True,
    google: bool = False,
) -> IssuedPass:
    """A merchant (tests/support/shop.py) with one enrolled card and its pass."""
    shop = make_shop(factory, name=name)
    made = client.post(
        "/api/v1/store/loyalty/cards/enroll", json={"email": email}, headers=shop.owner_headers
    )
    assert made.status_code == 201, made.text
    card_id = int(made.json()["id"])
    with factory() as session:
        card = session.get(Card, card_id)
        assert card is not None
        program = session.scalars(
            select(Program).where(Program.merchant_id == shop.merchant_id)
        ).one()
        program.apple_wallet_enabled = apple
        program.google_wallet_enabled = google
        wallet_pass = ensure_pass(session, card, WALLET_SECRET.encode())
        issued = IssuedPass(
            merchant_id=shop.merchant_id,
            card_id=card.id,
            card_number=card.card_number,
            qr_payload=card.qr_code_data,
            serial=wallet_pass.serial_number,
            auth_token=auth_token(WALLET_SECRET.encode(), wallet_pass.serial_number),
            owner_headers=shop.owner_headers,
        )
        session.commit()
    return issued
