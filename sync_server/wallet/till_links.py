"""The link a till's "Add to wallet" QR carries: the card's pass, made on first use, and
a short-lived signed token naming it. The till holds no wallet credential; it only shows
what the server hands it, and only when the owner turned wallets on."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from common.codes import Reason
from sync_server.config import Settings
from sync_server.models import Program
from sync_server.repositories import cards as card_repo
from sync_server.repositories import programs as program_repo
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.links import make_link_token
from sync_server.wallet.passes import ensure_pass

ADD_PATH = "/wallet/add/"


class LinkRefused(StrEnum):
    """Why no link: the route turns each into an error with this stable code."""

    CARD_NOT_FOUND = Reason.CARD_NOT_FOUND
    CARD_INACTIVE = Reason.CARD_INACTIVE
    WALLETS_OFF = "WALLETS_OFF"  # the owner turned no wallet on
    WALLETS_NOT_SET_UP = "WALLETS_NOT_SET_UP"  # on, but not configured on this server


@dataclass(frozen=True, slots=True)
class WalletLink:
    url: str
    expires_at: datetime


def wallet_link(
    session: Session,
    merchant_id: int,
    card_number: str,
    settings: Settings,
    edges: WalletEdges,
    now: datetime,
) -> WalletLink | LinkRefused:
    """A number of another merchant is unknown here (the lookup is by merchant)."""
    card = card_repo.get_by_number_or_alias(session, merchant_id, card_number)
    if card is None:
        return LinkRefused.CARD_NOT_FOUND
    program = program_repo.for_merchant(session, merchant_id)
    if program is None or not (program.apple_wallet_enabled or program.google_wallet_enabled):
        return LinkRefused.WALLETS_OFF
    if settings.wallet_secret is None or not _offered(program, edges):
        return LinkRefused.WALLETS_NOT_SET_UP
    if not card.is_active:
        return LinkRefused.CARD_INACTIVE
    secret = settings.wallet_secret.get_secret_value().encode()
    wallet_pass = ensure_pass(session, card, secret)
    # Whole seconds: the token carries whole seconds, and the till shows this instant.
    expires_at = (now + timedelta(minutes=settings.wallet_link_minutes)).replace(microsecond=0)
    token = make_link_token(secret, wallet_pass.serial_number, expires_at)
    return WalletLink(f"{settings.public_base_url.rstrip('/')}{ADD_PATH}{token}", expires_at)


def _offered(program: Program, edges: WalletEdges) -> bool:
    """Is a wallet both on and configured? Otherwise the customer's page would open on
    nothing to add: better the cashier reads why than the customer a dead link."""
    apple = program.apple_wallet_enabled and edges.signer is not None
    google = program.google_wallet_enabled and edges.google is not None
    return apple or google
