"""Apple's pass web service, end to end through the app on both backends, as a phone's
Wallet calls it: register, list what changed, fetch the pass, unregister, send logs.

A wrong token, an unknown serial, another pass type and a program with Apple Wallet off
all get the same 401: nobody learns which serials exist."""

import io
import json
import logging
import zipfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from sync_server.models import Program, WalletPass, WalletRegistration
from sync_server.models.sync import Throttle
from sync_server.wallet import apple_service
from sync_server.wallet.apple_service import REGISTRATIONS_PER_PASS
from sync_server.wallet.edges import WalletEdges
from tests.wallet.conftest import FakeSigner, IssuedPass, issue_pass

BASE = "/wallet/apple/v1"
PASS_TYPE = FakeSigner().pass_type_identifier
DEVICE = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
PUSH_TOKEN = "f" * 64


@pytest.fixture
def wallet(app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]) -> IssuedPass:
    app.state.wallet_edges = WalletEdges(signer=FakeSigner())
    return issue_pass(client, session_factory)


def _auth(issued: IssuedPass) -> dict[str, str]:
    return {"Authorization": f"ApplePass {issued.auth_token}"}


def _registration_url(serial: str, device: str = DEVICE, pass_type: str = PASS_TYPE) -> str:
    return f"{BASE}/devices/{device}/registrations/{pass_type}/{serial}"


def _register(client: TestClient, issued: IssuedPass, device: str = DEVICE, **headers: str) -> int:
    answer = client.post(
        _registration_url(issued.serial, device),
        json={"pushToken": PUSH_TOKEN},
        headers=headers or _auth(issued),
    )
    return answer.status_code


def _registrations(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(WalletRegistration)) or 0)


def _set_pass(factory: sessionmaker[Session], serial: str, **values: object) -> None:
    with factory() as session:
        session.execute(
            update(WalletPass).where(WalletPass.serial_number == serial).values(**values)
        )
        session.commit()


def _apple_enabled(factory: sessionmaker[Session], merchant_id: int, on: bool) -> None:
    with factory() as session:
        session.execute(
            update(Program)
            .where(Program.merchant_id == merchant_id)
            .values(apple_wallet_enabled=on)
        )
        session.commit()


# --- register -------------------------------------------------------------------------


def test_a_device_registers_once_then_is_told_it_already_is(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    assert _register(client, wallet) == 201
    assert _register(client, wallet) == 200
    assert _registrations(session_factory) == 1


def test_registering_again_keeps_the_newest_push_token(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    _register(client, wallet)
    client.post(
        _registration_url(wallet.serial), json={"pushToken": "e" * 64}, headers=_auth(wallet)
    )

    with session_factory() as session:
        assert session.scalars(select(WalletRegistration.push_token)).all() == ["e" * 64]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "ApplePass ",
        "ApplePass " + "0" * 64,
        "Bearer {token}",
        "applepass {token}",
        "ApplePass {token}x",
    ],
)
def test_a_wrong_or_missing_token_is_401_and_registers_nothing(
    client: TestClient,
    wallet: IssuedPass,
    session_factory: sessionmaker[Session],
    authorization: str | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    headers = {k: v.format(token=wallet.auth_token) for k, v in headers.items()}

    answer = client.post(
        _registration_url(wallet.serial), json={"pushToken": PUSH_TOKEN}, headers=headers
    )

    assert answer.status_code == 401
    assert answer.json()["code"] == "UNAUTHORIZED"
    assert _registrations(session_factory) == 0


def test_another_pass_s_token_does_not_open_this_pass(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    other = issue_pass(client, session_factory, name="Other", email="o@example.com")

    assert _register(client, wallet, **_auth(other)) == 401
    assert _registrations(session_factory) == 0


def test_unknown_serial_other_pass_type_and_wrong_token_answer_alike(
    client: TestClient, wallet: IssuedPass
) -> None:
    body = {"pushToken": PUSH_TOKEN}
    unknown_serial = client.post(_registration_url("f" * 32), json=body, headers=_auth(wallet))
    other_type = client.post(
        _registration_url(wallet.serial, pass_type="pass.other.type"),
        json=body,
        headers=_auth(wallet),
    )
    wrong_token = client.post(
        _registration_url(wallet.serial), json=body, headers={"Authorization": "ApplePass x"}
    )

    answers = [unknown_serial, other_type, wrong_token]
    assert {a.status_code for a in answers} == {401}
    assert len({a.text for a in answers}) == 1


def test_a_pass_of_a_program_with_apple_wallet_off_is_not_served(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    _register(client, wallet)
    _apple_enabled(session_factory, wallet.merchant_id, False)

    assert _register(client, wallet, "another0device") == 401
    assert (
        client.get(f"{BASE}/passes/{PASS_TYPE}/{wallet.serial}", headers=_auth(wallet)).status_code
        == 401
    )
    assert client.get(f"{BASE}/devices/{DEVICE}/registrations/{PASS_TYPE}").status_code == 204
    assert _registrations(session_factory) == 1


def test_without_a_pass_signer_configured_nothing_is_served(
    app: FastAPI, client: TestClient, wallet: IssuedPass
) -> None:
    app.state.wallet_edges = WalletEdges()

    assert _register(client, wallet) == 401
    assert (
        client.get(f"{BASE}/passes/{PASS_TYPE}/{wallet.serial}", headers=_auth(wallet)).status_code
        == 401
    )


def test_registrations_per_pass_are_rate_limited_and_the_refusal_stores_nothing(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    limit = REGISTRATIONS_PER_PASS.failures
    for i in range(limit):
        assert _register(client, wallet, f"device{i}") == 201

    refused = client.post(
        _registration_url(wallet.serial, "device-over"),
        json={"pushToken": PUSH_TOKEN},
        headers=_auth(wallet),
    )

    assert refused.status_code == 429
    assert refused.json()["code"] == "TOO_MANY_ATTEMPTS"
    assert int(refused.headers.get("Retry-After", refused.json()["detail"]["retry_after_s"])) > 0
    assert _registrations(session_factory) == limit


def test_the_rate_limit_of_one_pass_leaves_another_pass_alone(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    other = issue_pass(client, session_factory, name="Other", email="o@example.com")
    for i in range(REGISTRATIONS_PER_PASS.failures + 1):
        _register(client, wallet, f"device{i}")

    assert _register(client, other) == 201


# --- unregister -----------------------------------------------------------------------


def test_unregistering_forgets_the_device_and_needs_the_token(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    _register(client, wallet)

    refused = client.delete(_registration_url(wallet.serial), headers={"Authorization": "x"})
    assert refused.status_code == 401
    assert _registrations(session_factory) == 1

    assert client.delete(_registration_url(wallet.serial), headers=_auth(wallet)).status_code == 200
    assert _registrations(session_factory) == 0


def test_unregistering_still_works_once_apple_wallet_is_off(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    _register(client, wallet)
    _apple_enabled(session_factory, wallet.merchant_id, False)

    assert client.delete(_registration_url(wallet.serial), headers=_auth(wallet)).status_code == 200
    assert _registrations(session_factory) == 0


# --- what changed ---------------------------------------------------------------------


def _changed(client: TestClient, since: str | None = None, device: str = DEVICE):  # type: ignore[no-untyped-def]
    query = {} if since is None else {"passesUpdatedSince": since}
    return client.get(f"{BASE}/devices/{device}/registrations/{PASS_TYPE}", params=query)


def test_a_device_without_a_tag_gets_every_pass_it_registered(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    _register(client, wallet)
    _set_pass(session_factory, wallet.serial, update_tag=7)

    answer = _changed(client)

    assert answer.status_code == 200
    assert answer.json() == {"serialNumbers": [wallet.serial], "lastUpdated": "7"}


def test_only_passes_updated_after_the_tag_are_listed_and_none_is_204(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    other = issue_pass(client, session_factory, name="Other", email="o@example.com")
    _register(client, wallet)
    _register(client, other)
    _set_pass(session_factory, wallet.serial, update_tag=10)
    _set_pass(session_factory, other.serial, update_tag=20)

    assert _changed(client, "10").json() == {"serialNumbers": [other.serial], "lastUpdated": "20"}
    nothing = _changed(client, "20")
    assert nothing.status_code == 204
    assert nothing.content == b""


def test_an_unknown_device_or_pass_type_is_told_nothing_changed(
    client: TestClient, wallet: IssuedPass
) -> None:
    _register(client, wallet)

    assert _changed(client, device="unknown-device").status_code == 204
    other_type = client.get(f"{BASE}/devices/{DEVICE}/registrations/pass.other.type")
    assert other_type.status_code == 204


def test_a_tag_that_is_not_one_of_ours_is_a_validation_error(
    client: TestClient, wallet: IssuedPass
) -> None:
    for tag in ["abc", "-1", "1e3", "9" * 40]:
        answer = _changed(client, tag)
        assert answer.status_code == 422, tag
        assert answer.json()["code"] == "VALIDATION_ERROR"


# --- the latest pass ------------------------------------------------------------------


def _latest(client: TestClient, issued: IssuedPass, **headers: str):  # type: ignore[no-untyped-def]
    return client.get(f"{BASE}/passes/{PASS_TYPE}/{issued.serial}", headers=_auth(issued) | headers)


def test_the_latest_pass_is_a_pkpass_with_last_modified(
    client: TestClient, wallet: IssuedPass
) -> None:
    answer = _latest(client, wallet)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.apple.pkpass"
    assert answer.headers["Last-Modified"].endswith(" GMT")
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        document = json.loads(archive.read("pass.json"))
    assert document["serialNumber"] == wallet.serial
    assert document["authenticationToken"] == wallet.auth_token
    assert document["webServiceURL"] == "https://loyalty.example.test/wallet/apple"
    assert document["barcodes"][0]["message"] == wallet.qr_payload


def test_the_pass_shows_the_server_balance(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    from sync_server.models import Card

    with session_factory() as session:
        session.execute(
            update(Card).where(Card.id == wallet.card_id).values(stamp_count=4, points_balance=37)
        )
        session.commit()

    with zipfile.ZipFile(io.BytesIO(_latest(client, wallet).content)) as archive:
        card = json.loads(archive.read("pass.json"))["storeCard"]
    values = {f["key"]: f["value"] for part in card.values() for f in part}

    assert values["stamps"] == "4 of 10"
    assert values["points"] == 37


def test_if_modified_since_the_last_change_is_304(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    changed_at = datetime(2026, 11, 29, 12, 0, 0, 500_000, tzinfo=UTC)
    _set_pass(session_factory, wallet.serial, updated_at=changed_at)
    last_modified = _latest(client, wallet).headers["Last-Modified"]

    same = _latest(client, wallet, **{"If-Modified-Since": last_modified})
    later = _latest(
        client,
        wallet,
        **{"If-Modified-Since": format_datetime(changed_at + timedelta(hours=1), usegmt=True)},
    )
    earlier = _latest(
        client,
        wallet,
        **{"If-Modified-Since": format_datetime(changed_at - timedelta(seconds=1), usegmt=True)},
    )

    assert last_modified == "Sun, 29 Nov 2026 12:00:00 GMT"
    assert (same.status_code, same.content) == (304, b"")
    assert later.status_code == 304
    assert earlier.status_code == 200


def test_a_pass_updated_after_the_device_s_copy_is_served_again(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    first = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    _set_pass(session_factory, wallet.serial, updated_at=first)
    copy_date = _latest(client, wallet).headers["Last-Modified"]
    _set_pass(session_factory, wallet.serial, updated_at=first + timedelta(seconds=5))

    answer = _latest(client, wallet, **{"If-Modified-Since": copy_date})

    assert answer.status_code == 200
    assert answer.headers["Last-Modified"] == "Sun, 29 Nov 2026 12:00:05 GMT"


@pytest.mark.parametrize("garbage", ["yesterday", "", "Mon, 99 Foo 2026 99:99:99 GMT", "0" * 64])
def test_an_unreadable_if_modified_since_gets_the_pass(
    client: TestClient, wallet: IssuedPass, garbage: str
) -> None:
    assert _latest(client, wallet, **{"If-Modified-Since": garbage}).status_code == 200


def test_the_pass_needs_its_token_and_an_unknown_serial_is_the_same_401(
    client: TestClient, wallet: IssuedPass
) -> None:
    wrong = client.get(
        f"{BASE}/passes/{PASS_TYPE}/{wallet.serial}", headers={"Authorization": "ApplePass 0"}
    )
    unknown = client.get(f"{BASE}/passes/{PASS_TYPE}/{'f' * 32}", headers=_auth(wallet))

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text == unknown.text


# --- logs -----------------------------------------------------------------------------


def test_device_logs_are_accepted_and_logged_without_tokens(
    client: TestClient, wallet: IssuedPass, caplog: pytest.LogCaptureFixture
) -> None:
    line = f"Register failed for {wallet.serial} token {wallet.auth_token}\x1b[31m\n"
    with caplog.at_level(logging.WARNING, logger="sync_server.wallet.apple_service"):
        answer = client.post(f"{BASE}/log", json={"logs": [line]})

    assert answer.status_code == 200
    logged = caplog.text
    assert "Register failed for" in logged
    assert wallet.auth_token not in logged
    assert wallet.serial not in logged
    assert "\x1b" not in logged


def test_device_logs_are_bounded(client: TestClient) -> None:
    too_many = client.post(f"{BASE}/log", json={"logs": ["x"] * 101})
    too_long = client.post(f"{BASE}/log", json={"logs": ["x" * 4001]})

    assert too_many.status_code == too_long.status_code == 422
    assert too_many.json()["code"] == "VALIDATION_ERROR"


def test_one_client_address_cannot_flood_the_log(
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    session_factory: sessionmaker[Session],
) -> None:
    budget = apple_service.DEVICE_LOGS_PER_IP.failures

    def charged() -> list[int]:
        with session_factory() as session:
            return list(session.scalars(select(Throttle.count)))

    with caplog.at_level(logging.WARNING, logger="sync_server.wallet.apple_service"):
        answers = [client.post(f"{BASE}/log", json={"logs": [f"line {i}"]}) for i in range(budget)]
        before_refusal = charged()
        answers.append(client.post(f"{BASE}/log", json={"logs": [f"line {budget}"]}))

    assert charged() == before_refusal == [budget]  # the refusal changed nothing

    assert [a.status_code for a in answers[:budget]] == [200] * budget
    refused = answers[budget]
    assert refused.status_code == 429
    assert refused.json()["code"] == "TOO_MANY_ATTEMPTS"
    assert int(refused.headers["Retry-After"]) > 0
    assert f"line {budget - 1}" in caplog.text
    assert f"line {budget}" not in caplog.text
