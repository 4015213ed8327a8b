"""The customer's side of an add-to-wallet link: which pass a link names, and its .pkpass.

Forged, malformed and expired links, and links to a pass that is no longer offered, all
end the same way (None): the page says only that the link does not work."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sync_server.config import Settings
from sync_server.wallet import apple_queries as queries
from sync_server.wallet import google
from sync_server.wallet.apple_queries import PassRow
from sync_server.wallet.apple_service import render_pkpass
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.links import read_link_token


@dataclass(frozen=True, slots=True)
class AddPage:
    program_name: str
    apple: bool  # the .pkpass can be downloaded
    google_url: str | None


def linked_pass(session: Session, settings: Settings, token: str, now: datetime) -> PassRow | None:
    if settings.wallet_secret is None:
        return None
    serial = read_link_token(settings.wallet_secret.get_secret_value().encode(), token, now)
    return queries.pass_by_serial(session, serial) if serial else None


def add_page(
    session: Session, settings: Settings, edges: WalletEdges, token: str, now: datetime
) -> AddPage | None:
    row = linked_pass(session, settings, token, now)
    if row is None:
        return None
    google_url = google.save_url(session, row.wallet_pass, settings, edges)
    apple = row.apple_enabled and edges.signer is not None
    if not apple and google_url is None:
        return None
    return AddPage(program_name=row.program_name, apple=apple, google_url=google_url)


def download(
    session: Session, settings: Settings, edges: WalletEdges, token: str, now: datetime
) -> bytes | None:
    """The pass as it is now; the first download marks the card as carrying an Apple pass."""
    row = linked_pass(session, settings, token, now)
    if row is None or not row.apple_enabled or edges.signer is None:
        return None
    pkpass = render_pkpass(session, row, settings, edges.signer)
    if row.wallet_pass.apple_issued_at is None:
        row.wallet_pass.apple_issued_at = now
    return pkpass
