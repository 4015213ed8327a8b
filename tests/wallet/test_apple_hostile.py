"""Apple's web service and the add-to-wallet pages, fed what an attacker's client sends:
NUL, lone surrogates, huge strings, non-JSON bodies, forged tokens and headers.

Invariants: never a 5xx; a refusal carries a stable code and changes nothing (no
registration, no pass record touched)."""

import os
import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_server.models import WalletPass, WalletRegistration
from sync_server.services import throttle
from sync_server.wallet.apple_service import REGISTRATIONS_PER_PASS
from sync_server.wallet.edges import WalletEdges
from tests.hostile.values import hostile_query_value, hostile_text, hostile_value, to_json
from tests.wallet.conftest import FakeSigner, IssuedPass, issue_pass

BASE = "/wallet/apple/v1"
PASS_TYPE = FakeSigner().pass_type_identifier
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "25"))
CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def wallet(app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]) -> IssuedPass:
    app.state.wallet_edges = WalletEdges(signer=FakeSigner())
    issued = issue_pass(client, session_factory)
    registered = client.post(
        f"{BASE}/devices/known-device/registrations/{PASS_TYPE}/{issued.serial}",
        json={"pushToken": "ab" * 32},
        headers={"Authorization": f"ApplePass {issued.auth_token}"},
    )
    assert registered.status_code == 201
    return issued


def _segment(value: str) -> str:
    """A path segment as a client can put it on the wire, lone surrogates included."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="") or "%20"


def header_text() -> st.SearchStrategy[str]:
    """What fits in an HTTP header (latin-1, no line breaks), weighted to the edges."""
    chars = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
    return st.one_of(
        st.text(chars, max_size=80),
        st.text(chars, max_size=80).map(lambda t: "ApplePass " + t),
        st.sampled_from(["ApplePass", "ApplePass  ", "ApplePass " + "a" * 5000, "x" * 9000]),
    )


def hostile_body() -> st.SearchStrategy[bytes]:
    as_json = st.one_of(
        hostile_value(),
        st.fixed_dictionaries({"pushToken": hostile_value()}),
        st.fixed_dictionaries({"pushToken": hostile_text()}),
        st.fixed_dictionaries({"logs": st.one_of(hostile_value(), st.lists(hostile_value()))}),
    ).map(lambda v: to_json(v).encode("utf-8", "surrogatepass"))
    raw = st.one_of(
        st.binary(max_size=300),
        st.sampled_from([b"", b"{", b"null", b"\x00" * 50, b'{"pushToken":"a"' * 3, b"\xff\xfe"]),
    )
    return st.one_of(as_json, raw)


def _state(factory: sessionmaker[Session]) -> tuple[Any, ...]:
    with factory() as session:
        registrations = session.execute(
            select(
                WalletRegistration.pass_id,
                WalletRegistration.device_library_id,
                WalletRegistration.push_token,
            ).order_by(WalletRegistration.id)
        ).all()
        passes = session.execute(
            select(
                WalletPass.serial_number,
                WalletPass.updated_at,
                WalletPass.update_tag,
                WalletPass.apple_issued_at,
            ).order_by(WalletPass.id)
        ).all()
    return tuple(registrations), tuple(passes)


def _forget_registration_count(factory: sessionmaker[Session], issued: IssuedPass) -> None:
    with factory() as session:
        pass_id = session.scalar(
            select(WalletPass.id).where(WalletPass.serial_number == issued.serial)
        )
        throttle.clear(session, REGISTRATIONS_PER_PASS.key(str(pass_id)))
        session.commit()


def _check(answer: Any, before: tuple[Any, ...], factory: sessionmaker[Session]) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        if answer.headers.get("content-type", "").startswith("application/json"):
            assert CODE.match(answer.json()["code"]), answer.text
        else:
            assert CODE.match(answer.headers["X-Error-Code"]), answer.text
        assert _state(factory) == before


@HOSTILE
@given(
    device=hostile_text(),
    pass_type=st.one_of(st.just(PASS_TYPE), hostile_text()),
    serial=st.one_of(st.none(), hostile_text()),
    method=st.sampled_from(["POST", "DELETE"]),
)
def test_hostile_path_parameters_of_registration_get_a_verdict(
    client: TestClient,
    wallet: IssuedPass,
    session_factory: sessionmaker[Session],
    device: str,
    pass_type: str,
    serial: str | None,
    method: str,
) -> None:
    before = _state(session_factory)
    path = (
        f"{BASE}/devices/{_segment(device)}/registrations/{_segment(pass_type)}/"
        f"{_segment(serial) if serial is not None else wallet.serial}"
    )

    answer = client.request(
        method,
        path,
        json={"pushToken": "cd" * 32},
        headers={"Authorization": f"ApplePass {wallet.auth_token}"},
    )

    if serial is not None or method == "DELETE" or answer.status_code >= 400:
        _check(answer, before, session_factory)
    else:
        assert answer.status_code < 500


@HOSTILE
@given(authorization=header_text(), if_modified_since=header_text(), which=st.integers(0, 2))
def test_hostile_headers_get_a_verdict_and_open_nothing(
    client: TestClient,
    wallet: IssuedPass,
    session_factory: sessionmaker[Session],
    authorization: str,
    if_modified_since: str,
    which: int,
) -> None:
    before = _state(session_factory)
    headers = {
        "Authorization": authorization.encode("latin-1"),
        "If-Modified-Since": if_modified_since.encode("latin-1"),
    }
    registration = f"{BASE}/devices/new-device/registrations/{PASS_TYPE}/{wallet.serial}"

    if which == 0:
        answer = client.post(registration, json={"pushToken": "cd" * 32}, headers=headers)
    elif which == 1:
        answer = client.delete(registration, headers=headers)
    else:
        answer = client.get(f"{BASE}/passes/{PASS_TYPE}/{wallet.serial}", headers=headers)

    assert answer.status_code in {401, 422}, answer.text
    _check(answer, before, session_factory)


@HOSTILE
@given(body=hostile_body(), target=st.sampled_from(["register", "log"]))
def test_hostile_bodies_get_a_verdict(
    client: TestClient,
    wallet: IssuedPass,
    session_factory: sessionmaker[Session],
    body: bytes,
    target: str,
) -> None:
    before = _state(session_factory)
    path = (
        f"{BASE}/devices/new-device/registrations/{PASS_TYPE}/{wallet.serial}"
        if target == "register"
        else f"{BASE}/log"
    )

    answer = client.post(
        path,
        content=body,
        headers={
            "Authorization": f"ApplePass {wallet.auth_token}",
            "Content-Type": "application/json",
        },
    )

    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        _check(answer, before, session_factory)
    elif target == "register":
        # A well-formed push token was accepted: undo it, and its count against the
        # registration limit, so the next example reaches the database again.
        client.delete(path, headers={"Authorization": f"ApplePass {wallet.auth_token}"})
        _forget_registration_count(session_factory, wallet)


@HOSTILE
@given(since=hostile_query_value(), device=st.one_of(st.just("known-device"), hostile_text()))
@example(since=str(2**64), device="known-device")  # past BIGINT: must not reach the query
def test_hostile_update_queries_get_a_verdict(
    client: TestClient,
    wallet: IssuedPass,
    session_factory: sessionmaker[Session],
    since: str,
    device: str,
) -> None:
    before = _state(session_factory)

    answer = client.get(
        f"{BASE}/devices/{_segment(device)}/registrations/{PASS_TYPE}"
        f"?passesUpdatedSince={_segment(since)}"
    )

    assert answer.status_code in {200, 204, 404, 422}, answer.text
    _check(answer, before, session_factory)


@HOSTILE
@given(token=hostile_text(), download=st.booleans())
def test_forged_add_to_wallet_links_are_a_plain_404(
    client: TestClient,
    wallet: IssuedPass,
    session_factory: sessionmaker[Session],
    token: str,
    download: bool,
) -> None:
    before = _state(session_factory)
    path = f"/wallet/add/{_segment(token)}" + ("/pass.pkpass" if download else "")

    answer = client.get(path)

    assert answer.status_code in {404, 422}, answer.text
    _check(answer, before, session_factory)
