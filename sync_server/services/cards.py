"""Finding a merchant's cards by id, QR payload, number or free text."""

from sqlalchemy.orm import Session

from common.card_number import is_valid_card_number, normalize
from common.codes import Reason
from common.outcome import Rejected, reject
from common.qr import parse_qr
from sync_server.models import Card, Merchant
from sync_server.repositories import cards as repo


def card_number_for(
    session: Session,
    merchant_id: int,
    *,
    card_id: int | None = None,
    qr_code: str | None = None,
    card_number: str | None = None,
) -> str | Rejected:
    """The card number an operation names; a card of another merchant is 'not found'."""
    if card_id is not None:
        card = repo.get(session, merchant_id, card_id)
        return card.card_number if card else reject(Reason.CARD_NOT_FOUND)
    if qr_code is not None:
        merchant = session.get_one(Merchant, merchant_id)
        return parse_qr(qr_code, bytes.fromhex(merchant.qr_key))
    assert card_number is not None
    if not is_valid_card_number(card_number):
        return reject(Reason.INVALID_CARD_NUMBER)
    return normalize(card_number)


def find(
    session: Session,
    merchant_id: int,
    *,
    card_id: int | None = None,
    qr_code: str | None = None,
    card_number: str | None = None,
) -> Card | Rejected:
    number = card_number_for(
        session, merchant_id, card_id=card_id, qr_code=qr_code, card_number=card_number
    )
    if isinstance(number, Rejected):
        return number
    card = repo.get_by_number_or_alias(session, merchant_id, number)
    return card if card is not None else reject(Reason.CARD_NOT_FOUND)
