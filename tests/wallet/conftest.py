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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import Card, Program
from sync_server.wallet.passes import auth_token, ensure_pass
from tests.support.shop import make_shop

PASS_TYPE_ID = "pass.example.loyalty.test"
TEAM_ID = "TEAMID1234"
WALLET_SECRET = "test-wallet-secret-not-for-production"
PUBLIC_BASE_URL = "https://loyalty.example.test"


@dataclass(frozen=True)
class AppleChain:
    """The PEM files of a test chain, named like the settings that take them."""

    root_pem: Path
    wwdr_pem: Path
    pass_cert_pem: Path
    pass_key_pem: Path
    pass_type_id: str = PASS_TYPE_ID
    team_id: str = TEAM_ID


@dataclass
class FakeSigner:
    """Signs nothing: the signature is a digest of the manifest, so a test can still see
    that the manifest it got is the one that was signed."""

    pass_type_identifier: str = PASS_TYPE_ID
    team_identifier: str = TEAM_ID

    def sign(self, manifest: bytes) -> bytes:
        return b"fake-signature:" + hashlib.sha256(manifest).hexdigest().encode()


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def make_apple_chain(directory: Path) -> AppleChain:
    root_key, wwdr_key, pass_key = _key(), _key(), _key()
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root CA")])
    wwdr_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Test Worldwide Developer Relations CA"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "G4"),
        ]
    )
    pass_name = x509.Name(
        [
            x509.NameAttribute(NameOID.USER_ID, PASS_TYPE_ID),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Pass Type ID: {PASS_TYPE_ID}"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEAM_ID),
        ]
    )
    root = _cert(root_name, root_key, root_name, root_key, ca=True)
    wwdr = _cert(wwdr_name, wwdr_key, root_name, root_key, ca=True)
    leaf = _cert(pass_name, pass_key, wwdr_name, wwdr_key, ca=False)
    files = {
        "root.pem": root.public_bytes(serialization.Encoding.PEM),
        "wwdr.pem": wwdr.public_bytes(serialization.Encoding.PEM),
        "pass-cert.pem": leaf.public_bytes(serialization.Encoding.PEM),
        "pass-key.pem": pass_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return AppleChain(
        root_pem=directory / "root.pem",
        wwdr_pem=directory / "wwdr.pem",
        pass_cert_pem=directory / "pass-cert.pem",
        pass_key_pem=directory / "pass-key.pem",
    )


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
