"""The link a till's "Add to wallet" QR carries: the card's pass, made on first use, and
a short-lived signed token naming it. The till holds no wallet credential; it only shows
what the server hands it, and only when the owner turned wallets on."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from common.codes import Reason
from sync_server.config import Settings
from sync_server.repositories import cards as card_repo
from sync_server.repositories import programs as program_repo
from sync_server.wallet.links import make_link_token
from sync_server.wallet.passes import ensure_pass

ADD_PATH = "/wallet/add/"


class LinkRefused(StrEnum):
    """Why no link: the route turns each into an error with this stable code."""

    CARD_NOT_FOUND = Reason.CARD_NOT_FOUND
    CARD_INACTIVE = Reason.CARD_INACTIVE
    WALLETS_OFF = "WALLETS_OFF"


@dataclass(frozen=True, slots=True)
class WalletLink:
    url: str
    expires_at: datetime


def wallet_link(
    session: Session, merchant_id: int, card_number: str, settings: Settings, now: datetime
) -> WalletLink | LinkRefused:
    """A number of another merchant is unknown here (the lookup is by merchant)."""
    card = card_repo.get_by_number_or_alias(session, merchant_id, card_number)
    if card is None:
        return LinkRefused.CARD_NOT_FOUND
    program = program_repo.for_merchant(session, merchant_id)
    wallets_on = program is not None and (
        program.apple_wallet_enabled or program.google_wallet_enabled
    )
    if settings.wallet_secret is None or not wallets_on:
        return LinkRefused.WALLETS_OFF
    if not card.is_active:
        return LinkRefused.CARD_INACTIVE
    secret = settings.wallet_secret.get_secret_value().encode()
    wallet_pass = ensure_pass(session, card, secret)
    # Whole seconds: the token carries whole seconds, and the till shows this instant.
    expires_at = (now + timedelta(minutes=settings.wallet_link_minutes)).replace(microsecond=0)
    token = make_link_token(secret, wallet_pass.serial_number, expires_at)
    return WalletLink(f"{settings.public_base_url.rstrip('/')}{ADD_PATH}{token}", expires_at)
