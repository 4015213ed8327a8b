"""Google Wallet: one LoyaltyClass per program, one LoyaltyObject per card, the "Save to
Google Wallet" link, and balance changes sent as PATCHes within the daily quota."""

from datetime import date

from sqlalchemy.orm import Session

from sync_server.config import Settings
from sync_server.models import WalletPass
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.ports import GoogleWalletClient


def save_url(
    session: Session, wallet_pass: WalletPass, settings: Settings, edges: WalletEdges
) -> str | None:
    """The "Save to Google Wallet" link of a pass, or None when Google is not set up."""
    return None


def flush_pending(
    session: Session, client: GoogleWalletClient, settings: Settings, today: date
) -> int:
    """Sends the PATCHes owed (``google_pending``) that today's quota allows; how many."""
    return 0
