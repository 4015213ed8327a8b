"""Google Wallet: one LoyaltyClass per program, one LoyaltyObject per card, the "Save to
Google Wallet" link, and balance changes sent as PATCHes within the daily quota.

The object is created once, under the pass's row lock, the first time its link is
made; its id recorded is what makes ``has_google_wallet`` true. A change marks the pass
``google_pending``; ``flush_pending`` sends the latest state while the day's quota
lasts, so ten changes in a day cost at most three PATCHes and the rest wait a day."""

import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import Card, Merchant, Program, WalletPass
from sync_server.repositories import claims
from sync_server.wallet import google_jwt
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.google_client import GoogleWalletError
from sync_server.wallet.google_objects import (
    ClassLook,
    class_id,
    loyalty_class,
    loyalty_object,
    object_id,
)
from sync_server.wallet.passes import content_of
from sync_server.wallet.ports import GoogleWalletClient

log = logging.getLogger(__name__)

# Pass ids read per round of PATCHes.
FLUSH_BATCH = 50
_FLUSH_LOCK_NAMESPACE = 0x600613  # pg advisory lock namespace of Google PATCHes


def save_url(
    session: Session, wallet_pass: WalletPass, settings: Settings, edges: WalletEdges
) -> str | None:
    """The "Save to Google Wallet" link of a pass, or None when Google is not set up.

    Creates the class and object first (once), so the link names the object by id;
    when Google cannot be reached it carries the whole object and Google creates it on
    save (a later create meets 409 and records the id)."""
    program = _program_of(session, wallet_pass.merchant_id)
    account = google_jwt.account_from_settings(settings)
    if program is None or not program.google_wallet_enabled or account is None:
        return None
    issuer = str(settings.google_issuer_id)
    locked = _locked(session, wallet_pass.id)
    if locked.google_object_id is None and edges.google is not None:
        _create_object(session, locked, edges.google, issuer, settings.google_program_logo_url)
    if locked.google_object_id is not None:
        payload: dict[str, Any] = {"loyaltyObjects": [{"id": locked.google_object_id}]}
    else:
        klass, obj, _ = _bodies(session, locked, issuer, settings.google_program_logo_url)
        payload = {"loyaltyClasses": [klass], "loyaltyObjects": [obj]}
    issued_at = int(datetime.now(UTC).timestamp())
    claims = google_jwt.save_claims(account, [settings.public_base_url], payload, issued_at)
    return google_jwt.SAVE_URL_PREFIX + google_jwt.sign(account, claims)


def flush_pending(
    factory: sessionmaker[Session], client: GoogleWalletClient, settings: Settings, today: date
) -> int:
    """Sends the PATCHes owed (``google_pending``) that today's quota allows; how many.

    Each pass in a transaction of its own: claimed with a transaction-scoped advisory
    lock, so two workers never PATCH one change twice, and re-read under it. No row is
    locked while Google answers: a row lock assigns a transaction id, and one held
    across the calls would hold back every till's pull horizon (sync/changes.py) for as
    long as Google takes. The pass is locked only to record what was sent."""
    issuer = settings.google_issuer_id
    if not issuer:
        return 0
    quota = settings.google_patches_per_day
    sent, after_id = 0, 0
    while True:
        with factory() as session:
            owed = list(session.scalars(_owed(today, quota, after_id)))
            session.rollback()
        for pass_id in owed:
            with factory() as session:
                sent += _flush_one(session, client, pass_id, issuer, today, quota)
                session.commit()
        if len(owed) < FLUSH_BATCH:
            return sent
        after_id = owed[-1]


def _flush_one(
    session: Session,
    client: GoogleWalletClient,
    pass_id: int,
    issuer: str,
    today: date,
    quota: int,
) -> int:
    """One pass the query found under quota: PATCHed when what it shows changed."""
    if not claims.try_claim(session, _FLUSH_LOCK_NAMESPACE, pass_id):
        return 0  # another worker is PATCHing it
    wallet_pass = session.scalars(
        select(WalletPass)
        .where(WalletPass.id == pass_id, *_still_owed(today, quota))
        .execution_options(populate_existing=True)
    ).one_or_none()
    if wallet_pass is None:  # sent by another worker before our claim, or out of quota
        return 0
    content = content_of(session, wallet_pass)
    digest = content.state_digest()
    if digest != wallet_pass.google_state:
        body = loyalty_object(
            str(wallet_pass.google_object_id), class_id(issuer, wallet_pass.merchant_id), content
        )
        try:
            client.patch_object(str(wallet_pass.google_object_id), body)
        except (GoogleWalletError, OSError):
            log.warning("google wallet: pass %s stays pending", wallet_pass.id)
            return 0
    return _record_sent(session, pass_id, digest, today, patched=digest != wallet_pass.google_state)


def _record_sent(session: Session, pass_id: int, digest: str, today: date, patched: bool) -> int:
    """Under the pass's row lock, for this write only: what Google shows now, and still
    pending if the card changed again while Google was answering (re-read, not assumed)."""
    wallet_pass = _locked(session, pass_id)
    if patched:
        if wallet_pass.google_patch_day != today:
            wallet_pass.google_patch_day, wallet_pass.google_patches_on_day = today, 0
        wallet_pass.google_patches_on_day += 1
        wallet_pass.google_state = digest
    session.get(Card, wallet_pass.card_id, populate_existing=True)  # content_of reads it
    wallet_pass.google_pending = content_of(session, wallet_pass).state_digest() != digest
    return 1 if patched else 0


def _owed(today: date, quota: int, after_id: int) -> Select[int]:
    """Pending passes with an object and quota left today, by id."""
    return (
        select(WalletPass.id)
        .where(WalletPass.id > after_id, *_still_owed(today, quota))
        .order_by(WalletPass.id)
        .limit(FLUSH_BATCH)
    )


def _still_owed(today: date, quota: int) -> list[ColumnElement[bool]]:
    return [
        WalletPass.google_pending.is_(True),
        WalletPass.google_object_id.is_not(None),
        or_(
            WalletPass.google_patch_day.is_(None),
            WalletPass.google_patch_day != today,
            WalletPass.google_patches_on_day < quota,
        ),
    ]


def _create_object(
    session: Session,
    wallet_pass: WalletPass,
    client: GoogleWalletClient,
    issuer: str,
    logo_uri: str | None,
) -> None:
    klass, obj, digest = _bodies(session, wallet_pass, issuer, logo_uri)
    try:
        client.upsert_class(klass["id"], klass)
        client.create_object(obj["id"], obj)
    except (GoogleWalletError, OSError):
        log.warning("google wallet: object of pass %s not created yet", wallet_pass.id)
        return
    wallet_pass.google_object_id = obj["id"]
    wallet_pass.google_state = digest
    wallet_pass.google_pending = False


def _bodies(
    session: Session, wallet_pass: WalletPass, issuer: str, logo_uri: str | None
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The class, the object and the digest of the state the object shows."""
    merchant = session.get(Merchant, wallet_pass.merchant_id)
    program = _program_of(session, wallet_pass.merchant_id)
    if merchant is None or program is None:
        raise LookupError(f"wallet pass {wallet_pass.id} has no merchant or program")
    klass_ref = class_id(issuer, wallet_pass.merchant_id)
    look = ClassLook(
        issuer_name=merchant.name, program_name=program.display_name, logo_uri=logo_uri
    )
    content = content_of(session, wallet_pass)
    obj = loyalty_object(object_id(issuer, wallet_pass.serial_number), klass_ref, content)
    return loyalty_class(klass_ref, look), obj, content.state_digest()


def _locked(session: Session, pass_id: int) -> WalletPass:
    """The pass re-read under its row lock: two links made at once create one object."""
    query = (
        select(WalletPass)
        .where(WalletPass.id == pass_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def _program_of(session: Session, merchant_id: int) -> Program | None:
    return session.scalar(select(Program).where(Program.merchant_id == merchant_id))
