"""RS256 JSON Web Tokens signed with the Google service account's key: the "Save to
Google Wallet" link and the assertion exchanged for an OAuth2 access token.

Signed with ``cryptography`` directly: two claims sets and one algorithm do not need a
JWT library."""

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sync_server.config import Settings

SAVE_URL_PREFIX = "https://pay.google.com/gp/v/save/"
WALLET_SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Google refuses assertions that live longer than an hour.
ASSERTION_SECONDS = 3600


class ServiceAccountError(ValueError):
    """The service-account key file is missing, unreadable or not an RSA key."""


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    email: str
    key_id: str
    private_key: rsa.RSAPrivateKey

    def __repr__(self) -> str:  # never the key, even in a traceback's locals
        return f"ServiceAccount(email={self.email!r}, key_id={self.key_id!r})"


def load_service_account(path: Path) -> ServiceAccount:
    """Reads Google's JSON key file (``client_email``, ``private_key``, ``private_key_id``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        key = serialization.load_pem_private_key(data["private_key"].encode(), password=None)
        email = str(data["client_email"])
        key_id = str(data.get("private_key_id", ""))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # The message names the file, never its content.
        raise ServiceAccountError(f"unusable Google service account file {path}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ServiceAccountError(f"{path}: the service account key is not RSA")
    return ServiceAccount(email=email, key_id=key_id, private_key=key)


def account_from_settings(settings: Settings) -> ServiceAccount | None:
    """None while Google is not configured (no issuer id or no key file)."""
    if not settings.google_issuer_id or settings.google_service_account_file is None:
        return None
    return load_service_account(settings.google_service_account_file)


def sign(account: ServiceAccount, claims: Mapping[str, Any]) -> str:
    header = {"alg": "RS256", "typ": "JWT"}
    if account.key_id:
        header["kid"] = account.key_id
    signing_input = f"{_b64json(header)}.{_b64json(claims)}"
    signature = account.private_key.sign(
        signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{_b64(signature)}"


def save_claims(
    account: ServiceAccount, origins: list[str], payload: Mapping[str, Any], issued_at: int
) -> dict[str, Any]:
    return {
        "iss": account.email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": issued_at,
        "origins": origins,
        "payload": dict(payload),
    }


def assertion_claims(account: ServiceAccount, token_url: str, issued_at: int) -> dict[str, Any]:
    return {
        "iss": account.email,
        "scope": WALLET_SCOPE,
        "aud": token_url,
        "iat": issued_at,
        "exp": issued_at + ASSERTION_SECONDS,
    }


def _b64json(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
