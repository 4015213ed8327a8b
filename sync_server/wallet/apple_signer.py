"""Signs a pass's manifest with the merchant's pass certificate (detached PKCS#7)."""

from sync_server.config import Settings
from sync_server.wallet.ports import PassSigner


def signer_from_settings(settings: Settings) -> PassSigner | None:
    """None until configured (docs/wallets.md)."""
    return None
