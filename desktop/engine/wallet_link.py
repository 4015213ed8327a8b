"""The "Add to wallet" link of a card, asked of the server (online only).

The till holds no wallet credential: the server makes the pass and a short-lived signed
link to it, and the till only shows that link as a QR for the customer's phone. One
blocking exchange (run it off the UI thread) that never raises for what the network or
the server may do: the cashier reads a sentence, never a traceback."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

import httpx

from common import protocol
from desktop.engine import server_address

WALLETS_OFF = "WALLETS_OFF"
OFFLINE = "OFFLINE"
NOT_PAIRED = "NOT_PAIRED"
BAD_RESPONSE = "BAD_RESPONSE"
TIMEOUT_S = 8.0
MAX_URL = 2000  # a QR of medium correction holds ~2300 bytes; links are ~100

MESSAGES = {
    WALLETS_OFF: "Wallet passes are not turned on for this shop: "
    "the owner can turn them on in the program settings.",
    OFFLINE: "The server cannot be reached: adding a card to a phone's wallet needs the "
    "network. The card works as usual meanwhile.",
    NOT_PAIRED: "This till is not paired with a server.",
    BAD_RESPONSE: "The server's answer cannot be read; try again in a moment.",
    "CARD_NOT_FOUND": "The server does not know this card yet: try again once the till has synced.",
    "UNAUTHORIZED": "This till is no longer paired: ask the owner to pair it again.",
    "PROTOCOL_UNSUPPORTED": "This till needs an update to talk to the server.",
}


@dataclass(frozen=True, slots=True)
class WalletLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NoWalletLink:
    """Why there is no link: a stable code and a sentence for the cashier."""

    code: str
    message: str


def no_link(code: str, message: str | None = None) -> NoWalletLink:
    return NoWalletLink(code, MESSAGES.get(code) or message or MESSAGES[BAD_RESPONSE])


def fetch_wallet_link(
    base_url: str | None,
    token: str | None,
    card_number: str,
    *,
    allow_insecure_http: bool = False,
    transport: httpx.BaseTransport | None = None,
    timeout: float = TIMEOUT_S,
) -> WalletLink | NoWalletLink:
    if not base_url or not token:
        return no_link(NOT_PAIRED)
    refused = server_address.refusal(base_url, allow_insecure_http)
    if refused is not None:  # never send the token in clear
        return NoWalletLink("INSECURE_SERVER_ADDRESS", refused)
    path = f"/api/v1/sync/cards/{quote(card_number, safe='')}/wallet-link"
    headers = {"Authorization": f"Bearer {token}", **protocol.till_headers()}
    try:
        with httpx.Client(
            base_url=base_url, timeout=timeout, headers=headers, transport=transport
        ) as http:
            response = http.get(path)
    except httpx.TransportError:
        return no_link(OFFLINE)
    except httpx.HTTPError:
        return no_link(BAD_RESPONSE)
    return _answer(response)


def _answer(response: httpx.Response) -> WalletLink | NoWalletLink:
    body = _json(response)
    if response.status_code != 200:
        code, message = body.get("code"), body.get("message")
        if not isinstance(code, str):
            return no_link(BAD_RESPONSE)
        return no_link(code, message[:300] if isinstance(message, str) else None)
    return _link(body) or no_link(BAD_RESPONSE)


def _link(body: dict[str, object]) -> WalletLink | None:
    """The link if it is one a phone can open: an http(s) URL of sane length, and an
    expiry that is an aware instant."""
    url, expires = body.get("url"), body.get("expires_at")
    if not (isinstance(url, str) and isinstance(expires, str)):
        return None
    if len(url) > MAX_URL or not url.isascii() or not url.isprintable():
        return None
    if urlsplit(url).scheme not in ("https", "http"):
        return None
    try:
        expires_at = datetime.fromisoformat(expires)
    except ValueError:
        return None
    if expires_at.tzinfo is None:
        return None
    return WalletLink(url, expires_at)


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
