"""Erase one customer's personal data wherever the server holds it, in the caller's
transaction: the customer row, the personal fields of their cards' ledger entries (the
chain still verifies), the op bodies tills pushed about them, and the notes on those
ops. The cards are closed or kept as anonymous balances (common/erasure.py).

Locks follow the lock order: cards, then the customer, then the ops about them; the
ledger's own erasure comes last. Erasing twice answers the same and changes nothing
the second time; every erasure is logged (ids only) so a restored backup can be erased
again (``reapply``)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from common.codes import Reason
from common.erasure import (
    CUSTOMER_FIELDS,
    CardPolicy,
    card_policy,
    erased_body_hash,
    scrub_op_body,
)
from common.outcome import Rejected, reject
from sync_server.ledger_privacy import erase_personal_fields
from sync_server.models import Card, Customer, CustomerErasure
from sync_server.models.sync import SyncOp
from sync_server.repositories import customers as repo
from sync_server.repositories import programs as program_repo


@dataclass(frozen=True, slots=True)
class Erased:
    customer_id: int
    erased_at: datetime
    card_policy: CardPolicy
    card_numbers: tuple[str, ...]  # the cards and their merged numbers


@dataclass(frozen=True, slots=True)
class ErasedBy:
    """Who erases: an owner's login (API) or the operator (CLI); logged as ids only."""

    user_id: int | None
    via: str  # "api" | "cli"


def erase(
    session: Session, merchant_id: int, customer_id: int, by: ErasedBy, now: datetime
) -> Erased | Rejected:
    if repo.get(session, merchant_id, customer_id) is None:
        return reject(Reason.CUSTOMER_NOT_FOUND)
    customer, cards = _lock(session, customer_id)
    logged = repo.erasure_of(session, merchant_id, customer_id)
    policy = (
        CardPolicy(logged.card_policy)
        if logged is not None
        else card_policy(program_repo.settings(session, merchant_id).erasure_cards)
    )
    numbers = _numbers(session, cards)
    _scrub_ops(session, merchant_id, numbers, customer.email)
    erase_personal_fields(session, [e.id for e in repo.ledger_of(session, [c.id for c in cards])])
    _scrub_customer(customer, logged.erased_at if logged is not None else now)
    if policy is CardPolicy.CLOSE:
        for card in cards:
            if card.is_active:
                card.is_active = False
    if logged is None:
        repo.log_erasure(session, _log_row(merchant_id, customer_id, by, now, policy))
    session.flush()
    assert customer.erased_at is not None
    return Erased(customer.id, customer.erased_at, policy, numbers)


def _lock(session: Session, customer_id: int) -> tuple[Customer, list[Card]]:
    """The cards in id order, then the customer; a card enrolled for them meanwhile
    (found once the customer is held, so no other can appear) is locked after."""
    cards = list(repo.lock_cards(session, [c.id for c in repo.cards_of(session, customer_id)]))
    customer = repo.lock(session, customer_id)
    held = {c.id for c in cards}
    late = [c.id for c in repo.cards_of(session, customer_id) if c.id not in held]
    cards += repo.lock_cards(session, late)
    return customer, cards


def _numbers(session: Session, cards: list[Card]) -> tuple[str, ...]:
    aliases = repo.aliases_of(session, [c.id for c in cards])
    return tuple(c.card_number for c in cards) + tuple(a.card_number for a in aliases)


def _scrub_ops(
    session: Session, merchant_id: int, numbers: tuple[str, ...], email: str | None
) -> None:
    ops = repo.lock_ops_about(session, merchant_id, numbers, email)
    for op in (*ops, *repo.lock_acknowledgements(session, ops)):
        _scrub_op(op)


def _scrub_op(op: SyncOp) -> None:
    """The body's personal parts (and the hash of the body as sent, which would confirm
    a guess), the note or reason a manager wrote acknowledging or resolving it, and a
    refused enrollment's message."""
    body = scrub_op_body(op.body)
    if body != op.body:
        op.body_hash = erased_body_hash(op.body)
        op.body = body
    if op.acknowledged_note is not None:
        op.acknowledged_note = None
    if op.resolution_reason is not None:
        op.resolution_reason = None
    if op.op_type == "card.enroll" and op.message is not None:
        op.message = None


def _scrub_customer(customer: Customer, erased_at: datetime) -> None:
    for field in CUSTOMER_FIELDS:
        if getattr(customer, field) is not None:
            setattr(customer, field, None)
    if customer.erased_at is None:
        customer.erased_at = erased_at


def _log_row(
    merchant_id: int, customer_id: int, by: ErasedBy, now: datetime, policy: CardPolicy
) -> CustomerErasure:
    return CustomerErasure(
        merchant_id=merchant_id,
        customer_id=customer_id,
        erased_at=now,
        erased_by_user_id=by.user_id,
        via=by.via,
        card_policy=policy.value,
    )


@dataclass(frozen=True, slots=True)
class Replayed:
    erased: int  # log rows whose customer was (again) erased
    missing: int  # log rows whose customer this database does not hold


def reapply(session: Session, now: datetime) -> Replayed:
    """Erase again every customer the log names: after a restore from a backup taken
    before some erasures, they come back; this removes them again. Idempotent."""
    erased = missing = 0
    for row in repo.erasures(session):
        by = ErasedBy(row.erased_by_user_id, row.via)
        result = erase(session, row.merchant_id, row.customer_id, by, now)
        if isinstance(result, Rejected):
            missing += 1
        else:
            erased += 1
    return Replayed(erased, missing)


class LoggedErasure(BaseModel):
    """One row of a log printed by ``loyalty-server erasure-log`` (ids only)."""

    model_config = ConfigDict(extra="forbid")

    merchant_id: int = Field(ge=1)
    customer_id: int = Field(ge=1)
    erased_at: AwareDatetime
    erased_by_user_id: int | None = None
    via: str = Field(max_length=16)
    card_policy: CardPolicy


def import_log(session: Session, rows: Iterable[Any]) -> int:
    """Add the log rows this database lacks (a restore older than the log kept beside
    the backups); rows of a merchant it does not hold are left out."""
    added = 0
    for raw in rows:
        row = LoggedErasure.model_validate(raw)
        known = repo.merchant_exists(session, row.merchant_id)
        if not known or repo.erasure_of(session, row.merchant_id, row.customer_id) is not None:
            continue
        repo.log_erasure(session, CustomerErasure(**row.model_dump()))
        added += 1
    return added
