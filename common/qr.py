"""QR payloads: ``LOY1:<card number>:<tag>``, checkable offline by any terminal.

The tag is a truncated HMAC-SHA256 under the merchant's QR key, so a code printed by
another merchant, or a typed-up number in a home-made QR, is told apart from a card
this merchant issued. Without the key (a terminal before its first pull) only the
format and check digit are verified.
"""

import base64
import hashlib
import hmac

from common.card_number import is_valid_card_number, normalize
from common.codes import Reason
from common.outcome import Rejected, reject

PREFIX = "LOY1"
TAG_LENGTH = 10
# A printed payload is 32 characters; anything far longer is not one of ours.
MAX_PAYLOAD = 256


def _tag(card_number: str, key: bytes) -> str:
    mac = hmac.new(key, f"{PREFIX}:{card_number}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:TAG_LENGTH]


def encode_qr(card_number: str, key: bytes) -> str:
    number = normalize(card_number)
    if not is_valid_card_number(number):
        raise ValueError("invalid card number")
    return f"{PREFIX}:{number}:{_tag(number, key)}"


def parse_qr(payload: str, key: bytes | None) -> str | Rejected:
    """Return the card number a payload carries, or why it is refused; any string gets
    one of the two. The number must be exactly as printed (16 ASCII digits, no
    separators), and the tag is compared as bytes: ``compare_digest`` raises on a str
    holding anything but ASCII, and a scanner can send anything."""
    parts = payload.strip().split(":") if len(payload) <= MAX_PAYLOAD else []
    if len(parts) != 3 or parts[0] != PREFIX or not _exact_number(parts[1]):
        return reject(Reason.INVALID_QR_PAYLOAD)
    number, tag = parts[1], parts[2].encode("utf-8", "surrogatepass")
    if key is not None and not hmac.compare_digest(tag, _tag(number, key).encode()):
        return reject(Reason.QR_SIGNATURE_MISMATCH)
    return number


def _exact_number(text: str) -> bool:
    return normalize(text) == text and is_valid_card_number(text)
