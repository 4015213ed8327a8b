"""A local stand-in for Google: the OAuth2 token endpoint and the loyalty class and
object resources of walletobjects v1, served over real HTTP on loopback.

It checks what Google checks that matters here (the assertion's RS256 signature and
claims, the bearer token, 409 on a second insert, 404 on an unknown id) and records
every request, so tests count inserts, creates and PATCHes as Google would see them."""

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import Card, Customer, Program, WalletPass
from sync_server.wallet.google_client import HttpGoogleWalletClient
from sync_server.wallet.google_jwt import account_from_settings
from sync_server.wallet.passes import ensure_pass
from sync_server.wallet.ports import GoogleWalletClient
from tests.support.shop import make_shop

API_PREFIX = "/walletobjects/v1"
ISSUER_ID = "3388000000012345678"
SERVICE_EMAIL = "wallet@test-project.iam.gserviceaccount.com"


@dataclass
class Request:
    method: str
    path: str
    body: dict[str, Any] | None
    authorization: str | None


@dataclass
class GoogleFake:
    public_key: rsa.RSAPublicKey
    base_url: str = ""
    requests: list[Request] = field(default_factory=list)
    classes: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    # Statuses to answer the next API calls with instead of serving them (503, 400...).
    refuse_next: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    def calls(self, method: str, resource: str) -> list[Request]:
        """The API requests of one method on one resource ("loyaltyObject" ...)."""
        prefix = f"{API_PREFIX}/{resource}"
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def handle(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        if path == "/token":
            with self.lock:
                return self._token(raw)
        body = json.loads(raw) if raw else None
        with self.lock:
            self.requests.append(Request(method, path, body, headers.get("Authorization")))
            if headers.get("Authorization") not in {f"Bearer {t}" for t in self.tokens}:
                return 401, {"error": {"code": 401, "message": "Invalid Credentials"}}
            if self.refuse_next:
                status = self.refuse_next.pop(0)
                return status, {"error": {"code": status, "message": "refused by the test"}}
            return self._resource(method, path.removeprefix(API_PREFIX), body)

    def _token(self, raw: bytes) -> tuple[int, Any]:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}
        claims = verify_rs256(form.get("assertion", ""), self.public_key)
        if claims is None or claims.get("iss") != SERVICE_EMAIL:
            return 400, {"error": "invalid_grant"}
        if claims.get("aud") != self.token_url or "wallet_object.issuer" not in claims["scope"]:
            return 400, {"error": "invalid_grant"}
        token = f"ya29.test-token-{len(self.tokens) + 1}"
        self.tokens.append(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _resource(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        kind, _, raw_id = path.strip("/").partition("/")
        store = {"loyaltyClass": self.classes, "loyaltyObject": self.objects}.get(kind)
        if store is None:
            return 404, {"error": {"code": 404, "message": "no such resource"}}
        if method == "POST" and not raw_id:
            if body["id"] in store:
                return 409, {"error": {"code": 409, "message": "already exists"}}
            if kind == "loyaltyObject" and body["classId"] not in self.classes:
                return 404, {"error": {"code": 404, "message": "class not found"}}
            store[body["id"]] = dict(body)
            return 200, body
        found = store.get(unquote(raw_id))
        if found is None:
            return 404, {"error": {"code": 404, "message": "not found"}}
        if method == "PATCH":
            found.update(body)
        return 200, found


def verify_rs256(token: str, public_key: rsa.RSAPublicKey) -> dict[str, Any] | None:
    """The claims of a compact RS256 JWT whose signature verifies, else None."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64decode(header_b64))
        if header.get("alg") != "RS256":
            return None
        public_key.verify(
            b64decode(signature_b64),
            f"{header_b64}.{claims_b64}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        claims: dict[str, Any] = json.loads(b64decode(claims_b64))
        return claims
    except Exception:  # any malformed or forged token is simply not valid
        return None


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def write_service_account(path: Path, key: rsa.RSAPrivateKey) -> Path:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": SERVICE_EMAIL,
                "private_key_id": "test-key-1",
                "private_key": pem,
            }
        )
    )
    return path


@contextmanager
def serving(fake: GoogleFake) -> Iterator[GoogleFake]:
    """Serves the fake on a free loopback port for the block."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, payload = fake.handle(
                self.command, self.path, self.headers, self.rfile.read(length)
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the shop side: settings, a card with its pass, the real client -------------------


def google_settings(settings: Settings, key_file: Path, fake: GoogleFake) -> Settings:
    return settings.model_copy(
        update={
            "wallet_secret": SecretStr("test-wallet-secret"),
            "public_base_url": "https://loyalty.example",
            "google_issuer_id": ISSUER_ID,
            "google_service_account_file": key_file,
            "google_wallet_api_url": fake.api_url,
            "google_token_url": fake.token_url,
        }
    )


def real_client(settings: Settings, clock: Callable[[], float] = time.time) -> GoogleWalletClient:
    """The production client against the fake; retries without waiting."""
    account = account_from_settings(settings)
    assert account is not None
    return HttpGoogleWalletClient(
        account,
        settings.google_wallet_api_url,
        settings.google_token_url,
        sleep=lambda _seconds: None,
        clock=clock,
    )


def card_with_pass(
    factory: sessionmaker[Session], merchant_id: int, *, points: int = 0, stamps: int = 0
) -> int:
    """A card of the merchant with its wallet pass, Google enabled on the program; the
    pass's id."""
    with factory() as session:
        program = session.scalars(select(Program).where(Program.merchant_id == merchant_id)).one()
        program.google_wallet_enabled = True
        customer = Customer(merchant_id=merchant_id, email=f"{secrets.token_hex(6)}@example.com")
        session.add(customer)
        session.flush()
        card = Card(
            merchant_id=merchant_id,
            customer_id=customer.id,
            card_number=f"{4000000000000000 + customer.id}",
            qr_code_data=f"LQ1.{customer.id}.signed-payload-of-the-card",
            points_balance=points,
            stamp_count=stamps,
        )
        session.add(card)
        session.flush()
        wallet_pass = ensure_pass(session, card, b"test-wallet-secret")
        session.commit()
        return wallet_pass.id


def change_card(factory: sessionmaker[Session], pass_id: int, **columns: Any) -> None:
    """A reconciliation changed the card, and the worker marked its pass for Google."""
    with factory() as session:
        wallet_pass = session.get(WalletPass, pass_id)
        assert wallet_pass is not None
        card = session.get(Card, wallet_pass.card_id)
        for name, value in columns.items():
            setattr(card, name, value)
        wallet_pass.google_pending = True
        session.commit()


@dataclass
class World:
    """Google's stand-in serving, the server's settings pointing at it, a shop."""

    fake: GoogleFake
    key: rsa.RSAPrivateKey
    settings: Settings
    merchant_id: int


@contextmanager
def google_world(
    settings: Settings, tmp_path: Path, factory: sessionmaker[Session]
) -> Iterator[World]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with serving(GoogleFake(key.public_key())) as fake:
        key_file = write_service_account(tmp_path / "service-account.json", key)
        shop = make_shop(factory)
        yield World(fake, key, google_settings(settings, key_file, fake), shop.merchant_id)
