"""Apple's push service over HTTP/2 (token auth)."""

from sync_server.config import Settings
from sync_server.wallet.ports import ApnsSender


def sender_from_settings(settings: Settings) -> ApnsSender | None:
    """None until configured (docs/wallets.md)."""
    return None
