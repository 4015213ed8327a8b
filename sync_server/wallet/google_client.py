"""Google Wallet's REST API with a service-account key."""

from sync_server.config import Settings
from sync_server.wallet.ports import GoogleWalletClient


def client_from_settings(settings: Settings) -> GoogleWalletClient | None:
    """None until configured (docs/wallets.md)."""
    return None
