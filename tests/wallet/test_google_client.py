"""The production Google Wallet client against the loopback stand-in: the JWT-bearer
token exchange, the token reused until near its expiry, a class updated only when it
changed, and a bounded retry."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sync_server.config import Settings
from sync_server.wallet.google_client import (
    GoogleWalletError,
    HttpGoogleWalletClient,
    client_from_settings,
)
from sync_server.wallet.google_jwt import ServiceAccountError, load_service_account
from tests.wallet.google_fake import GoogleFake, serving, write_service_account

CLASS_ID = "3388000000012345678.loyalty-merchant-1"
CLASS = {
    "id": CLASS_ID,
    "issuerName": "Shop",
    "programName": "Café",
    "reviewStatus": "UNDER_REVIEW",
}
OBJECT_ID = "3388000000012345678.abc"
OBJECT = {"id": OBJECT_ID, "classId": CLASS_ID, "state": "ACTIVE"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fake(key: rsa.RSAPrivateKey) -> Iterator[GoogleFake]:
    with serving(GoogleFake(key.public_key())) as served:
        yield served


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(
    fake: GoogleFake, key: rsa.RSAPrivateKey, tmp_path: Path, clock: Clock
) -> Iterator[HttpGoogleWalletClient]:
    account = load_service_account(write_service_account(tmp_path / "key.json", key))
    made = HttpGoogleWalletClient(
        account, fake.api_url, fake.token_url, sleep=lambda _s: None, clock=clock
    )
    yield made
    made.close()


def test_one_token_from_the_jwt_bearer_grant_serves_every_call_until_near_expiry(
    fake: GoogleFake, client: HttpGoogleWalletClient, clock: Clock
) -> None:
    client.upsert_class(CLASS_ID, CLASS)
    client.create_object(OBJECT_ID, OBJECT)
    client.patch_object(OBJECT_ID, OBJECT | {"state": "INACTIVE"})

    assert len(fake.tokens) == 1
    assert {r.authorization for r in fake.requests} == {f"Bearer {fake.tokens[0]}"}

    clock.now += 3599 - 60  # inside the renewal margin
    client.patch_object(OBJECT_ID, OBJECT)
    assert len(fake.tokens) == 2
    assert fake.requests[-1].authorization == f"Bearer {fake.tokens[1]}"


def test_a_token_google_no_longer_accepts_is_replaced(
    fake: GoogleFake, client: HttpGoogleWalletClient
) -> None:
    client.upsert_class(CLASS_ID, CLASS)
    fake.tokens[0] = "revoked"

    client.create_object(OBJECT_ID, OBJECT)

    assert OBJECT_ID in fake.objects
    assert len(fake.tokens) == 2


def test_an_existing_class_is_patched_only_when_what_it_shows_changed(
    fake: GoogleFake, client: HttpGoogleWalletClient
) -> None:
    client.upsert_class(CLASS_ID, CLASS)
    client.upsert_class(CLASS_ID, CLASS)
    assert len(fake.calls("POST", "loyaltyClass")) == 2  # the second met 409
    assert fake.calls("PATCH", "loyaltyClass") == []

    client.upsert_class(CLASS_ID, CLASS | {"programName": "Café & Co"})

    assert len(fake.calls("PATCH", "loyaltyClass")) == 1
    assert fake.classes[CLASS_ID]["programName"] == "Café & Co"


def test_creating_an_object_twice_is_not_an_error(
    fake: GoogleFake, client: HttpGoogleWalletClient
) -> None:
    client.upsert_class(CLASS_ID, CLASS)
    client.create_object(OBJECT_ID, OBJECT)
    client.create_object(OBJECT_ID, OBJECT)

    assert list(fake.objects) == [OBJECT_ID]


def test_an_object_google_lost_is_created_again_by_its_patch(
    fake: GoogleFake, client: HttpGoogleWalletClient
) -> None:
    client.upsert_class(CLASS_ID, CLASS)

    client.patch_object(OBJECT_ID, OBJECT)

    assert fake.objects[OBJECT_ID]["state"] == "ACTIVE"


def test_outages_are_retried_a_bounded_number_of_times(
    fake: GoogleFake, client: HttpGoogleWalletClient
) -> None:
    client.upsert_class(CLASS_ID, CLASS)
    fake.refuse_next = [503] * 10

    with pytest.raises(GoogleWalletError) as refused:
        client.create_object(OBJECT_ID, OBJECT)

    assert refused.value.status == 503
    assert len(fake.calls("POST", "loyaltyObject")) == 3
    assert len(fake.refuse_next) == 7


def test_a_refusal_is_not_retried(fake: GoogleFake, client: HttpGoogleWalletClient) -> None:
    client.upsert_class(CLASS_ID, CLASS)
    fake.refuse_next = [400, 400]

    with pytest.raises(GoogleWalletError) as refused:
        client.create_object(OBJECT_ID, OBJECT)

    assert refused.value.status == 400
    assert len(fake.calls("POST", "loyaltyObject")) == 1


def test_a_key_google_does_not_know_gets_no_token(
    fake: GoogleFake, tmp_path: Path, clock: Clock
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    account = load_service_account(write_service_account(tmp_path / "other.json", other))
    client = HttpGoogleWalletClient(
        account, fake.api_url, fake.token_url, sleep=lambda _s: None, clock=clock
    )

    with pytest.raises(GoogleWalletError) as refused:
        client.upsert_class(CLASS_ID, CLASS)

    assert refused.value.status == 400
    assert fake.tokens == []
    assert fake.requests == []


def test_google_stays_off_with_a_warning_until_both_issuer_and_key_are_set(
    tmp_path: Path, key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = write_service_account(tmp_path / "key.json", key)
    base = Settings(database_url="sqlite://")

    assert client_from_settings(base) is None
    assert caplog.text == ""
    with caplog.at_level(logging.WARNING):
        assert client_from_settings(base.model_copy(update={"google_issuer_id": "338"})) is None
    assert "LOYALTY_GOOGLE_SERVICE_ACCOUNT_FILE" in caplog.text

    both = base.model_copy(
        update={"google_issuer_id": "338", "google_service_account_file": key_file}
    )
    assert isinstance(client_from_settings(both), HttpGoogleWalletClient)


def test_an_unreadable_key_file_stops_the_server_at_start(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "key.json"
    broken.write_text('{"client_email": "a@b", "private_key": "-----BEGIN secret-material"}')
    settings = Settings(
        database_url="sqlite://", google_issuer_id="338", google_service_account_file=broken
    )

    with pytest.raises(ServiceAccountError) as refused:
        client_from_settings(settings)

    assert "secret-material" not in str(refused.value)
