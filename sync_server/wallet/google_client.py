"""Google Wallet's REST API with a service-account key.

Every call is retried a bounded number of times on what may pass (no answer, 429, 5xx,
an expired access token); anything else raises ``GoogleWalletError`` after a log line
with Google's message and never the token, and the caller keeps the change pending."""

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from sync_server.config import Settings
from sync_server.wallet.google_jwt import (
    JWT_BEARER_GRANT,
    ServiceAccount,
    account_from_settings,
    assertion_claims,
    sign,
)
from sync_server.wallet.ports import GoogleWalletClient

log = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
# A token is renewed this long before Google says it expires.
TOKEN_MARGIN_SECONDS = 120
TIMEOUT = httpx.Timeout(10.0)
# The class fields we own; Google adds others (kind, review state after review, ...).
_CLASS_LOOK = ("issuerName", "programName", "hexBackgroundColor", "programLogo")


class GoogleWalletError(Exception):
    """Google refused the call or could not be reached: the pass stays pending."""

    def __init__(self, message: str, status: int | None = None, *, retry: bool = False):
        super().__init__(message)
        self.status = status
        self.retry = retry


class HttpGoogleWalletClient:
    """The production ``GoogleWalletClient`` (walletobjects v1 over httpx)."""

    def __init__(
        self,
        account: ServiceAccount,
        api_url: str,
        token_url: str,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._account = account
        self._api_url = api_url.rstrip("/")
        self._token_url = token_url
        self._http = http or httpx.Client(timeout=TIMEOUT)
        self._sleep = sleep
        self._clock = clock
        # A cache only: any process may fetch its own token at any time.
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def upsert_class(self, class_id: str, body: Mapping[str, Any]) -> None:
        """Inserts the class; when it exists (409), updates it only if it changed."""
        inserted = self._call("POST", "/loyaltyClass", body, accept=(409,))
        if inserted.status_code != 409:
            return
        path = f"/loyaltyClass/{quote(class_id, safe='')}"
        current = _json(self._call("GET", path, None))
        if any(current.get(key) != body.get(key) for key in _CLASS_LOOK):
            self._call("PATCH", path, body)

    def create_object(self, object_id: str, body: Mapping[str, Any]) -> None:
        self._call("POST", "/loyaltyObject", body, accept=(409,))

    def patch_object(self, object_id: str, body: Mapping[str, Any]) -> None:
        """Patches the whole object; one Google no longer knows (404) is created again."""
        path = f"/loyaltyObject/{quote(object_id, safe='')}"
        if self._call("PATCH", path, body, accept=(404,)).status_code == 404:
            self._call("POST", "/loyaltyObject", body, accept=(409,))

    def _call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        failure = GoogleWalletError(f"{method} {path}: not attempted")
        for attempt in range(ATTEMPTS):
            if attempt:
                self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            try:
                response = self._send(method, path, body)
            except GoogleWalletError as exc:
                if not exc.retry:
                    raise
                failure = exc
                continue
            if response.is_success or response.status_code in accept:
                return response
            failure = _refused(method, path, response)
            if response.status_code == 401:
                self._forget_token()
            elif not failure.retry:
                break
        log.warning("google wallet: %s", failure)
        raise failure

    def _send(self, method: str, path: str, body: Mapping[str, Any] | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._access_token()}"}
        try:
            return self._http.request(method, self._api_url + path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise GoogleWalletError(f"{method} {path}: {type(exc).__name__}", retry=True) from exc

    def _access_token(self) -> str:
        with self._token_lock:
            now = self._clock()
            if self._token is None or self._token[1] <= now:
                self._token = self._fetch_token(now)
            return self._token[0]

    def _forget_token(self) -> None:
        with self._token_lock:
            self._token = None

    def _fetch_token(self, now: float) -> tuple[str, float]:
        """The service-account JWT-bearer grant (RFC 7523)."""
        assertion = sign(self._account, assertion_claims(self._account, self._token_url, int(now)))
        form = {"grant_type": JWT_BEARER_GRANT, "assertion": assertion}
        try:
            response = self._http.post(self._token_url, data=form)
        except httpx.HTTPError as exc:
            raise GoogleWalletError(f"token: {type(exc).__name__}", retry=True) from exc
        if not response.is_success:
            raise _refused("POST", "token", response)
        answer = _json(response)
        token, lifetime = answer.get("access_token"), answer.get("expires_in", 0)
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
            raise GoogleWalletError("token: the answer has no access_token", response.status_code)
        return token, now + max(float(lifetime) - TOKEN_MARGIN_SECONDS, 0.0)


def _refused(method: str, path: str, response: httpx.Response) -> GoogleWalletError:
    status = response.status_code
    retry = status in (401, 408, 429) or status >= 500
    return GoogleWalletError(
        f"{method} {path}: {status} {_google_message(response)}", status, retry=retry
    )


def _google_message(response: httpx.Response) -> str:
    """Google's own error text, shortened: it names the field at fault, never our token."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    if isinstance(error, dict):
        error = error.get("message")
    return str(error)[:200] if error else ""


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError as exc:
        raise GoogleWalletError(
            f"{response.request.url.path}: not JSON", response.status_code
        ) from exc
    if not isinstance(value, dict):
        raise GoogleWalletError(
            f"{response.request.url.path}: not a JSON object", response.status_code
        )
    return value


def client_from_settings(settings: Settings) -> GoogleWalletClient | None:
    """None until configured (docs/wallets.md); a configured but unreadable key file stops
    the server at start rather than at the first customer's tap."""
    account = account_from_settings(settings)
    if account is None:
        if settings.google_issuer_id or settings.google_service_account_file:
            log.warning(
                "google wallet stays off: set both LOYALTY_GOOGLE_ISSUER_ID and"
                " LOYALTY_GOOGLE_SERVICE_ACCOUNT_FILE"
            )
        return None
    return HttpGoogleWalletClient(
        account, settings.google_wallet_api_url, settings.google_token_url
    )
