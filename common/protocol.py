"""Versions of the sync protocol between a till and the server.

A till sends ``Loyalty-Protocol: <int>`` with every request. The server serves the
range ``OLDEST..NEWEST`` and answers any other version with 426 ``PROTOCOL_UNSUPPORTED``
before any other check, so an old till learns it needs an update instead of failing
on a body it cannot read. Compatibility policy: docs/sync-protocol.md ("Versions").
"""

from dataclasses import dataclass

HEADER = "Loyalty-Protocol"
# What this release's till speaks.
CURRENT = 1
# What this release's server serves. Raise OLDEST only in a release whose notes say so,
# at least one release after the till that stopped needing it.
OLDEST = 1
NEWEST = 1
# A request to the sync endpoints without the header comes from a till released before
# the header existed: it speaks version 1.
UNDECLARED = 1
# Longer than any version number we will ever publish: refused unread.
_MAX_DIGITS = 6


def till_headers() -> dict[str, str]:
    """What a till sends with every request."""
    return {HEADER: str(CURRENT)}


@dataclass(frozen=True, slots=True)
class Verdict:
    version: int | None  # None: the header could not be read
    supported: bool


def judge(header: str | None, *, sync_path: bool) -> Verdict | None:
    """The verdict on a request's declared version; None when nothing was declared and
    the request is not a till's sync call (a browser or a script of the owner's)."""
    if header is None:
        return Verdict(UNDECLARED, OLDEST <= UNDECLARED <= NEWEST) if sync_path else None
    text = header.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
        return Verdict(None, False)
    version = int(text)
    return Verdict(version, OLDEST <= version <= NEWEST)
