"""The customer scans the till's add-to-wallet QR: a small page with the program's name and
the wallets it can go to, and the .pkpass behind "Add to Apple Wallet".

The link is short-lived and signed: expired, forged or re-signed with another secret,
it opens the same plain 404 page with a stable code, and nothing is recorded."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import Program, WalletPass
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.links import make_link_token
from tests.wallet.conftest import WALLET_SECRET, FakeSigner, IssuedPass, issue_pass
from tests.wallet.google_fake import write_service_account

PKPASS = "application/vnd.apple.pkpass"
# What a phone's browser sends: the refusals come as a page rather than JSON.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def wallet(app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]) -> IssuedPass:
    app.state.wallet_edges = WalletEdges(signer=FakeSigner())
    issued = issue_pass(client, session_factory)
    client.headers.update(BROWSER)
    return issued


def _link(serial: str, minutes: int = 15, secret: str = WALLET_SECRET) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    return f"/wallet/add/{make_link_token(secret.encode(), serial, expires)}"


def _issued_at(factory: sessionmaker[Session], serial: str) -> datetime | None:
    with factory() as session:
        return session.scalar(
            select(WalletPass.apple_issued_at).where(WalletPass.serial_number == serial)
        )


def _program(factory: sessionmaker[Session], merchant_id: int, **values: object) -> None:
    with factory() as session:
        session.execute(update(Program).where(Program.merchant_id == merchant_id).values(**values))
        session.commit()


def _assert_invalid_link_page(answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["X-Error-Code"] == "WALLET_LINK_INVALID"
    assert "WALLET_LINK_INVALID" in answer.text


def test_the_page_names_the_program_and_offers_apple_wallet(
    client: TestClient, wallet: IssuedPass
) -> None:
    link = _link(wallet.serial)

    page = client.get(link)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Test Café</h1>" in page.text
    assert f'href="{link}/pass.pkpass"' in page.text
    assert "Add to Apple Wallet" in page.text
    assert "Google" not in page.text


def test_the_page_is_neither_cached_nor_referred_onwards(
    client: TestClient, wallet: IssuedPass
) -> None:
    page = client.get(_link(wallet.serial))

    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_a_program_name_is_shown_as_text_never_as_markup(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    _program(session_factory, wallet.merchant_id, display_name='<script>alert("x")</script>')

    page = client.get(_link(wallet.serial))

    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_the_download_is_the_card_s_pkpass_and_marks_it_issued_once(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    assert _issued_at(session_factory, wallet.serial) is None

    first = client.get(f"{_link(wallet.serial)}/pass.pkpass")
    issued_at = _issued_at(session_factory, wallet.serial)
    client.get(f"{_link(wallet.serial)}/pass.pkpass")

    assert first.status_code == 200
    assert first.headers["content-type"] == PKPASS
    assert first.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(first.content)) as archive:
        document = json.loads(archive.read("pass.json"))
    assert document["serialNumber"] == wallet.serial
    assert document["barcodes"][0]["message"] == wallet.qr_payload
    assert issued_at is not None
    assert _issued_at(session_factory, wallet.serial) == issued_at


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda serial: _link(serial, minutes=-1), id="expired"),
        pytest.param(lambda serial: _link(serial, secret="another-secret"), id="other-secret"),
        pytest.param(lambda serial: _link(serial)[:-3] + "AAA", id="forged-mac"),
        pytest.param(lambda serial: _link("f" * 32), id="unknown-serial"),
        pytest.param(lambda serial: "/wallet/add/not-a-token", id="garbage"),
    ],
)
def test_a_bad_link_is_a_plain_404_page_and_records_nothing(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session], make
) -> None:  # type: ignore[no-untyped-def]
    link = make(wallet.serial)

    _assert_invalid_link_page(client.get(link))
    _assert_invalid_link_page(client.get(f"{link}/pass.pkpass"))
    assert _issued_at(session_factory, wallet.serial) is None


def test_a_client_that_is_no_browser_gets_the_api_s_json_error(
    client: TestClient, wallet: IssuedPass
) -> None:
    link = _link(wallet.serial, minutes=-1)
    for path in (link, f"{link}/pass.pkpass"):
        answer = client.get(path, headers={"Accept": "application/json"})

        assert answer.status_code == 404
        assert answer.json()["code"] == "WALLET_LINK_INVALID"
        assert set(answer.json()) == {"code", "message", "detail"}


def test_with_apple_wallet_off_there_is_no_apple_pass(
    client: TestClient, wallet: IssuedPass, session_factory: sessionmaker[Session]
) -> None:
    _program(session_factory, wallet.merchant_id, apple_wallet_enabled=False)

    _assert_invalid_link_page(client.get(_link(wallet.serial)))
    _assert_invalid_link_page(client.get(f"{_link(wallet.serial)}/pass.pkpass"))
    assert _issued_at(session_factory, wallet.serial) is None


def test_without_a_pass_signer_there_is_no_apple_pass(
    app: FastAPI, client: TestClient, wallet: IssuedPass
) -> None:
    app.state.wallet_edges = WalletEdges()

    _assert_invalid_link_page(client.get(f"{_link(wallet.serial)}/pass.pkpass"))


def test_without_a_wallet_secret_no_link_opens(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from sync_server.main import create_app

    app = create_app(Settings(database_url=db_url, wallet_worker_seconds=0))
    app.state.wallet_edges = WalletEdges(signer=FakeSigner())
    try:
        with TestClient(app, headers=BROWSER) as client:
            issued = issue_pass(client, session_factory)
            _assert_invalid_link_page(client.get(_link(issued.serial)))
    finally:
        app.state.engine.dispose()


def test_the_page_offers_google_wallet_when_google_is_set_up(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from sync_server.main import create_app

    key_file = write_service_account(
        tmp_path / "service-account.json",
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    settings = Settings(
        database_url=db_url,
        wallet_secret=WALLET_SECRET,  # type: ignore[arg-type]
        wallet_worker_seconds=0,
        google_issuer_id="3388000000012345678",
        google_service_account_file=key_file,
    )
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            # Google's API unreachable (no client): the link carries the whole object.
            app.state.wallet_edges = WalletEdges(signer=FakeSigner())
            issued = issue_pass(client, session_factory, google=True)
            page = client.get(_link(issued.serial))
    finally:
        app.state.engine.dispose()

    assert page.status_code == 200
    assert "Add to Apple Wallet" in page.text
    assert 'href="https://pay.google.com/gp/v/save/' in page.text
    assert "Save to Google Wallet" in page.text
