"""A card's pass record and what it shows, shared by Apple's and Google's code.

The ApplePass token is derived from the server's wallet secret and the serial (HMAC),
and only its hash is stored: a copy of the database cannot call the web service, and
the token can be put into every re-rendered pass.json without being stored in clear."""

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.wallet_pass import PassContent, pass_content
from sync_server.models import Card, Program, WalletPass
from sync_server.services.card_state import state_of
from sync_server.services.programs import rules_of


def auth_token(secret: bytes, serial_number: str) -> str:
    return hmac.new(secret, f"applepass:{serial_number}".encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(wallet_pass: WalletPass, token: str) -> bool:
    return hmac.compare_digest(wallet_pass.auth_token_hash, token_hash(token))


def ensure_pass(session: Session, card: Card, secret: bytes) -> WalletPass:
    """The card's pass, made on first use. Two requests making it at once meet on the
    unique card_id: the loser's flush fails and it reads the winner's row."""
    found = session.scalar(select(WalletPass).where(WalletPass.card_id == card.id))
    if found is not None:
        return found
    serial = secrets.token_hex(16)
    made = WalletPass(
        merchant_id=card.merchant_id,
        card_id=card.id,
        serial_number=serial,
        auth_token_hash=token_hash(auth_token(secret, serial)),
    )
    try:
        with session.begin_nested():
            session.add(made)
    except IntegrityError:
        existing = session.scalar(select(WalletPass).where(WalletPass.card_id == card.id))
        if existing is None:
            raise
        return existing
    return made


def content_of(session: Session, wallet_pass: WalletPass) -> PassContent:
    card = session.get(Card, wallet_pass.card_id)
    program = session.scalar(select(Program).where(Program.merchant_id == wallet_pass.merchant_id))
    if card is None or program is None:
        raise LookupError(f"wallet pass {wallet_pass.id} has no card or program")
    return pass_content(
        serial_number=wallet_pass.serial_number,
        program_name=program.display_name,
        rules=rules_of(program),
        card=state_of(card),
        barcode_message=card.qr_code_data,
    )
