"""Which server addresses the till will talk to: ``https://``, or plain ``http://`` only
to this machine (loopback: the demo, a server beside the till) or in a lab that says so.

Over plain HTTP on the shop's network the device token and the server's verdicts on
PINs and redemptions travel in clear: anyone on that network could read the token and
act as the till. Every entry (pairing, the stored address a sync uses, the manager
login) asks ``refusal`` and shows its words.
"""

import ipaddress
from collections.abc import Mapping

import httpx

ALLOW_INSECURE_FLAG = "--allow-insecure-http"
ALLOW_INSECURE_ENV = "LOYALTY_ALLOW_INSECURE_HTTP"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


def refusal(url: str, allow_insecure_http: bool = False) -> str | None:
    """Why the till will not use ``url``, in words for the cashier; None if it may.

    Parsed by httpx, the library that will send the requests, so the host checked here
    is the host it connects to (``http://127.0.0.1@evil.example`` goes to evil.example).
    """
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        return (
            "The server address is a web address starting with https:// "
            "(http:// only to this machine)."
        )
    if parsed.scheme == "https" or allow_insecure_http or is_loopback(parsed.host):
        return None
    return (
        f"The till does not use plain http:// to {parsed.host}: its device token would "
        "cross the shop's network unencrypted. Use the server's https:// address "
        f"(for a test lab only: start the till with {ALLOW_INSECURE_FLAG} or "
        f"{ALLOW_INSECURE_ENV}=1)."
    )


def is_loopback(host: str) -> bool:
    """This machine itself, by name or literal address (no DNS lookup: a name that
    resolves to 127.0.0.1 today may not tomorrow)."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def insecure_allowed_by(environ: Mapping[str, str]) -> bool:
    """The lab switch as an environment variable: exactly ``1``."""
    return environ.get(ALLOW_INSECURE_ENV, "").strip() == "1"
