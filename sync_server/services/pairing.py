"""Pairing: an owner's one-time code becomes a terminal id and a device token."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.card_number import terminal_node
from sync_server.auth.tokens import digest
from sync_server.models import Store
from sync_server.models.sync import PairingCode, Terminal, new_cursor_key
from sync_server.services import purge

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 10  # 32**10 = 2**50 codes; guesses are throttled on top
CODE_TTL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    expires_at: datetime
    store_id: int


@dataclass(frozen=True, slots=True)
class Paired:
    terminal: Terminal
    device_token: str
    card_node: int


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def issue_code(session: Session, store: Store, user_id: int | None, now: datetime) -> IssuedCode:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(
        PairingCode(
            merchant_id=store.merchant_id,
            store_id=store.id,
            code_hash=_code_hash(code),
            created_by_user_id=user_id,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    session.flush()
    purge.pairing_codes(session, now)
    return IssuedCode(code=f"{code[:5]}-{code[5:]}", expires_at=now + CODE_TTL, store_id=store.id)


def redeem_code(session: Session, code: str, name: str, now: datetime) -> Paired | None:
    """None for an unknown, used or expired code (the caller counts the failure)."""
    pairing = session.scalars(
        select(PairingCode).where(PairingCode.code_hash == _code_hash(code)).with_for_update()
    ).one_or_none()
    if pairing is None or pairing.used_at is not None or pairing.expires_at <= now:
        return None
    token = secrets.token_urlsafe(32)
    terminal = Terminal(
        merchant_id=pairing.merchant_id,
        store_id=pairing.store_id,
        name=name,
        token_hash=digest(token),
        created_at=now,
        last_seen_at=now,
    )
    session.add(terminal)
    session.flush()
    pairing.used_at = now
    pairing.terminal_id = terminal.id
    return Paired(terminal=terminal, device_token=token, card_node=terminal_node(terminal.id))


def list_terminals(session: Session, merchant_id: int) -> list[Terminal]:
    stmt = select(Terminal).where(Terminal.merchant_id == merchant_id).order_by(Terminal.id)
    return list(session.scalars(stmt))


def revoke(session: Session, merchant_id: int, terminal_id: int, now: datetime) -> Terminal | None:
    terminal = session.scalars(
        select(Terminal).where(Terminal.merchant_id == merchant_id, Terminal.id == terminal_id)
    ).one_or_none()
    if terminal is not None and terminal.revoked_at is None:
        terminal.revoked_at = now
    return terminal


def move(session: Session, merchant_id: int, terminal_id: int, store_id: int) -> Terminal | None:
    """Serve a till to another store of the merchant. Its cursor key is replaced, so the
    next pull is a full resync (``reset``): the till drops the old store's PINs, history
    and attention before it takes the new store's. None: no such till or store here."""
    terminal = session.scalars(
        select(Terminal)
        .where(Terminal.merchant_id == merchant_id, Terminal.id == terminal_id)
        .with_for_update()
    ).one_or_none()
    store = session.scalars(
        select(Store).where(Store.merchant_id == merchant_id, Store.id == store_id)
    ).one_or_none()
    if terminal is None or store is None:
        return None
    if terminal.store_id != store.id:
        terminal.store_id = store.id
        terminal.cursor_key = new_cursor_key()
    return terminal
