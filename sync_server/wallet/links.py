"""The short-lived token of an "Add to wallet" link shown at a till.

The pass it leads to carries the card's QR payload, which is as good as the card, so
the link expires (minutes) and is signed with the server's wallet secret: a photo of an
old link, or a guessed one, opens nothing."""

import base64
import hashlib
import hmac
from datetime import datetime

_SEP = "."


def make_link_token(secret: bytes, serial_number: str, expires_at: datetime) -> str:
    body = f"{serial_number}:{int(expires_at.timestamp())}"
    encoded = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{encoded}{_SEP}{_mac(secret, encoded)}"


def read_link_token(secret: bytes, token: str, now: datetime) -> str | None:
    """The serial number the token names, or None when it is forged, malformed or
    expired (the caller answers all three the same way)."""
    if len(token) > 256 or token.count(_SEP) != 1:
        return None
    encoded, mac = token.split(_SEP)
    if not mac.isascii() or not hmac.compare_digest(mac.encode(), _mac(secret, encoded).encode()):
        return None
    try:
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        serial, _, expires = body.partition(":")
        expires_ts = int(expires)
    except (ValueError, UnicodeDecodeError):
        return None
    if not serial or now.timestamp() >= expires_ts:
        return None
    return serial


def _mac(secret: bytes, encoded: str) -> str:
    digest = hmac.new(secret, f"wallet-link:{encoded}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
