"""The wallet edges this server runs with, made once from its settings: each is None
until its credentials are configured, and tests put local fakes in their place."""

from dataclasses import dataclass

from sync_server.config import Settings
from sync_server.wallet.apns import sender_from_settings
from sync_server.wallet.apple_signer import signer_from_settings
from sync_server.wallet.google_client import client_from_settings
from sync_server.wallet.ports import ApnsSender, GoogleWalletClient, PassSigner


@dataclass
class WalletEdges:
    signer: PassSigner | None = None
    apns: ApnsSender | None = None
    google: GoogleWalletClient | None = None


def edges_from_settings(settings: Settings) -> WalletEdges:
    return WalletEdges(
        signer=signer_from_settings(settings),
        apns=sender_from_settings(settings),
        google=client_from_settings(settings),
    )
