"""Apple's push service over HTTP/2 (token auth).

A Wallet pass update is an empty push: the payload is ``{}``, the topic the pass type
id, and the device then asks the web service what changed (Apple, "Updating a Pass").
It is sent as a background push (``apns-push-type: background``, priority 5): it shows
nothing by itself, and APNs requires priority 5 for that type.
"""

import base64
import json
import ssl
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import certifi
import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from sync_server.config import Settings
from sync_server.wallet.ports import ApnsSender

# APNs refuses a provider token older than an hour and one renewed more often than every
# 20 minutes (TooManyProviderTokenUpdates): renew in between.
TOKEN_LIFETIME = timedelta(minutes=50)
REQUEST_TIMEOUT_S = 10.0


class ApnsTokenAuth:
    """The provider token: an ES256 JWT (key id in the header, team id and issue time in
    the claims) signed with the .p8 key, cached for all pushes and renewed in time."""

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        key_id: str,
        team_id: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._key, self._key_id, self._team_id, self._clock = key, key_id, team_id, clock
        self._lock = threading.Lock()  # a cache shared by threads, not a correctness lock
        self._cached: tuple[str, datetime] | None = None

    def token(self) -> str:
        now = self._clock()
        with self._lock:
            if self._cached is None or now - self._cached[1] >= TOKEN_LIFETIME:
                self._cached = (self._sign(now), now)
            return self._cached[0]

    def forget(self) -> None:
        """APNs said the token expired (a clock step, say): the next push signs anew."""
        with self._lock:
            self._cached = None

    def _sign(self, now: datetime) -> str:
        header = {"alg": "ES256", "kid": self._key_id}
        claims = {"iss": self._team_id, "iat": int(now.timestamp())}
        signing_input = f"{_b64json(header)}.{_b64json(claims)}".encode()
        der = self._key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)  # JWS wants r || s, 32 bytes each
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input.decode()}.{_b64(raw)}"


class HttpApnsSender:
    """The production ApnsSender: one HTTP/2 connection reused for every push."""

    def __init__(
        self,
        base_url: str,
        auth: ApnsTokenAuth | None,
        *,
        verify: ssl.SSLContext | None = None,
        timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self._auth = auth
        context = verify or ssl.create_default_context(cafile=certifi.where())
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), http2=True, verify=context, timeout=timeout_s
        )

    def send_empty(self, push_token: str, topic: str) -> int:
        response = self._post(push_token, topic)
        expired = response.status_code == 403 and _reason(response) == "ExpiredProviderToken"
        if expired and self._auth is not None:
            self._auth.forget()
            response = self._post(push_token, topic)
        return response.status_code

    def close(self) -> None:
        self._http.close()

    def _post(self, push_token: str, topic: str) -> httpx.Response:
        headers = {
            "apns-topic": topic,
            "apns-push-type": "background",
            "apns-priority": "5",
        }
        if self._auth is not None:
            headers["authorization"] = f"bearer {self._auth.token()}"
        # The token came from a device's registration: quoted whole, it stays one path
        # segment whatever it holds.
        path = f"/3/device/{quote(push_token, safe='', errors='surrogatepass')}"
        try:
            return self._http.post(path, content=b"{}", headers=headers)
        except httpx.TransportError as exc:  # unreachable, reset, timed out
            raise ConnectionError(f"APNs unreachable: {type(exc).__name__}") from exc


def sender_from_settings(settings: Settings) -> ApnsSender | None:
    """Token auth when the .p8 key, its id, the team and the pass type id are set; else
    the pass certificate itself (Apple's older way, which Wallet pushes also accept);
    else None (docs/wallets.md)."""
    if not settings.apple_pass_type_id:
        return None
    base = settings.apple_apns_url
    if settings.apple_apns_key_file and settings.apple_apns_key_id and settings.apple_team_id:
        key = load_p8(settings.apple_apns_key_file)
        return HttpApnsSender(
            base, ApnsTokenAuth(key, settings.apple_apns_key_id, settings.apple_team_id)
        )
    if settings.apple_pass_cert_file and settings.apple_pass_key_file:
        context = ssl.create_default_context(cafile=certifi.where())
        password = settings.apple_pass_key_password
        context.load_cert_chain(
            settings.apple_pass_cert_file,
            settings.apple_pass_key_file,
            password.get_secret_value() if password else None,
        )
        return HttpApnsSender(base, None, verify=context)
    return None


def load_p8(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(f"{path}: not an APNs key (a P-256 private key, .p8)")
    return key


def _reason(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason if isinstance(reason, str) else None


def _b64json(value: Mapping[str, object]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
