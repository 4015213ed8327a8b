"""Google Wallet: one LoyaltyClass per program, one LoyaltyObject per card, the "Save to
Google Wallet" link, and balance changes sent as PATCHes within the daily quota.

The object is created once, under the pass's row lock, the first time its link is
made; its id recorded is what makes ``has_google_wallet`` true. A change marks the pass
``google_pending``; ``flush_pending`` sends the latest state while the day's quota
lasts, so ten changes in a day cost at most three PATCHes and the rest wait a day."""

import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sync_server.config import Settings
from sync_server.models import Merchant, Program, WalletPass
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

# Passes locked and PATCHed per round: bounds how long one worker holds row locks.
FLUSH_BATCH = 50


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
    session: Session, client: GoogleWalletClient, settings: Settings, today: date
) -> int:
    """Sends the PATCHes owed (``google_pending``) that today's quota allows; how many.

    Each pass is row-locked (SKIP LOCKED) from its read to the caller's commit, so two
    workers never PATCH one change twice; the caller commits."""
    issuer = settings.google_issuer_id
    if not issuer:
        return 0
    quota = settings.google_patches_per_day
    sent, after_id = 0, 0
    while True:
        batch = _owed(session, today, quota, after_id)
        for wallet_pass in batch:
            sent += _flush_one(session, client, wallet_pass, issuer, today)
        if len(batch) < FLUSH_BATCH:
            return sent
        after_id = batch[-1].id


def _flush_one(
    session: Session,
    client: GoogleWalletClient,
    wallet_pass: WalletPass,
    issuer: str,
    today: date,
) -> int:
    """One pass the query found under quota: PATCHed when what it shows changed."""
    content = content_of(session, wallet_pass)
    digest = content.state_digest()
    if digest == wallet_pass.google_state:
        wallet_pass.google_pending = False
        return 0
    if wallet_pass.google_patch_day != today:
        wallet_pass.google_patch_day, wallet_pass.google_patches_on_day = today, 0
    body = loyalty_object(
        str(wallet_pass.google_object_id), class_id(issuer, wallet_pass.merchant_id), content
    )
    try:
        client.patch_object(str(wallet_pass.google_object_id), body)
    except (GoogleWalletError, OSError):
        log.warning("google wallet: pass %s stays pending", wallet_pass.id)
        return 0
    wallet_pass.google_state = digest
    wallet_pass.google_pending = False
    wallet_pass.google_patches_on_day += 1
    return 1


def _owed(session: Session, today: date, quota: int, after_id: int) -> list[WalletPass]:
    """Pending passes with an object and quota left today, locked; those another worker
    holds are skipped, not waited for (it is PATCHing them)."""
    query = (
        select(WalletPass)
        .where(
            WalletPass.google_pending.is_(True),
            WalletPass.google_object_id.is_not(None),
            WalletPass.id > after_id,
            or_(
                WalletPass.google_patch_day.is_(None),
                WalletPass.google_patch_day != today,
                WalletPass.google_patches_on_day < quota,
            ),
        )
        .order_by(WalletPass.id)
        .limit(FLUSH_BATCH)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


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
