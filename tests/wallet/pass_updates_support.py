"""What the worker tests share: wallet settings, the APNs stand-in and the real sender
pointed at it, and a card with a pass registered on devices (fixtures are imported by
the test modules that use them)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import Card, WalletRegistration
from sync_server.wallet import worker
from sync_server.wallet.apns import ApnsTokenAuth, HttpApnsSender
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.passes import ensure_pass
from tests.support.till import Till
from tests.wallet.apns_standin import ApnsStandIn, Tls, make_tls
from tests.wallet.conftest import PASS_TYPE_ID, TEAM_ID, WALLET_SECRET

API = "/api/v1/store/loyalty"


def wallet_settings(database_url: str, worker_seconds: float = 0) -> Settings:
    """Wallets on, Apple's pass type set; the server's own loop off unless asked (the
    tests run the worker themselves, except the one about the loop)."""
    return Settings(
        database_url=database_url,
        wallet_secret=WALLET_SECRET,  # type: ignore[arg-type]  # pydantic coerces str
        apple_pass_type_id=PASS_TYPE_ID,
        wallet_worker_seconds=worker_seconds,
    )


@pytest.fixture
def settings(db_url: str) -> Settings:
    return wallet_settings(db_url)


@pytest.fixture(scope="module")
def tls() -> Tls:
    return make_tls()


@pytest.fixture
def apns(tls: Tls) -> Iterator[ApnsStandIn]:
    with ApnsStandIn(tls) as standin:
        yield standin


def edges_at(apns: ApnsStandIn) -> WalletEdges:
    auth = ApnsTokenAuth(ec.generate_private_key(ec.SECP256R1()), "KEYID00001", TEAM_ID)
    return WalletEdges(apns=HttpApnsSender(apns.url, auth, verify=apns.tls.client))


@pytest.fixture
def edges(apns: ApnsStandIn) -> WalletEdges:
    return edges_at(apns)


def enroll(client: Any, shop: Any, email: str = "c@example.com") -> tuple[str, int]:
    made = client.post(f"{API}/cards/enroll", json={"email": email}, headers=shop.owner_headers)
    assert made.status_code == 201, made.text
    number = made.json()["card_number"]
    found = client.post(
        f"{API}/cards/lookup", params={"card_number": number}, headers=shop.owner_headers
    )
    return number, int(found.json()["card_id"])


def pass_on_devices(
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


def offline_stamps(till: Till, number: str, pin: int, count: int) -> None:
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
