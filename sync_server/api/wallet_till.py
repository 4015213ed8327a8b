"""The till's wallet link for a card (device-token auth, online only): the URL its Add to
wallet QR carries."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from common.codes import MESSAGES, Reason
from common.text import PlainText
from sync_server.api.deps import NowDep, SessionDep, SettingsDep, WalletEdgesDep
from sync_server.api.schemas.common import error_responses
from sync_server.api.sync import TerminalDep
from sync_server.errors import ApiError
from sync_server.wallet.till_links import LinkRefused, WalletLink, wallet_link

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

CardNumberPath = Annotated[PlainText, Path(min_length=1, max_length=32)]

_MESSAGES: dict[LinkRefused, str] = {
    LinkRefused.CARD_NOT_FOUND: MESSAGES[Reason.CARD_NOT_FOUND],
    LinkRefused.CARD_INACTIVE: MESSAGES[Reason.CARD_INACTIVE],
    LinkRefused.WALLETS_OFF: "Wallet passes are not turned on for this shop: "
    "the owner can turn them on in the program settings.",
    LinkRefused.WALLETS_NOT_SET_UP: "Wallet passes are turned on but the server is not "
    "set up for them yet: tell the owner (docs/wallets.md).",
}


class WalletLinkResponse(BaseModel):
    url: str = Field(description="the add-to-wallet page; the till shows it as a QR")
    expires_at: datetime = Field(description="the link opens nothing after this instant")


@router.get("/cards/{card_number}/wallet-link", responses=error_responses(403, 404, 409))
def get_wallet_link(
    card_number: CardNumberPath,
    actor: TerminalDep,
    session: SessionDep,
    settings: SettingsDep,
    edges: WalletEdgesDep,
    now: NowDep,
) -> WalletLinkResponse:
    """A short-lived link to add the card to Apple Wallet or Google Wallet: 409
    WALLETS_OFF when the owner enabled no wallet, WALLETS_NOT_SET_UP when no enabled
    wallet is configured on the server (its wallet secret, Apple's certificates or
    Google's service account)."""
    link = wallet_link(session, actor.merchant_id, card_number, settings, edges, now)
    if isinstance(link, LinkRefused):
        raise ApiError(link.value, _MESSAGES[link])
    return _response(link)


def _response(link: WalletLink) -> WalletLinkResponse:
    return WalletLinkResponse(url=link.url, expires_at=link.expires_at)
