"""Everything a merchant holds about one customer, as JSON a person can read.

One function serves the API and the command line. Keys are named, times are ISO 8601
in UTC, and a short header says what the document is and when it was made. Staff
names are left out: they are the staff's data, not the customer's."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from common.codes import Reason
from common.outcome import Rejected, reject
from sync_server.models import Card, LedgerEntry, Merchant
from sync_server.models.sync import CardAlias, SyncOp
from sync_server.repositories import customers as repo

FORMAT = "loyalty-customer-export/1"


class ExportedCustomer(BaseModel):
    id: int
    email: str | None
    name: str | None
    phone: str | None
    created_at: datetime
    erased_at: datetime | None


class ExportedCard(BaseModel):
    card_number: str
    active: bool
    enrolled_at_store: str | None
    created_at: datetime
    stamps: int
    points: int
    total_stamps_earned: int
    stamps_redeemed: int
    total_points_earned: int
    points_redeemed: int
    last_activity_at: datetime | None


class ExportedAlias(BaseModel):
    card_number: str
    now_part_of_card: str | None
    merged_at: datetime


class ExportedTransaction(BaseModel):
    id: int
    at: datetime
    till_time: datetime | None
    card_number: str | None
    store: str | None
    type: str
    stamps_delta: int
    points_delta: int
    stamps_after: int
    points_after: int
    purchase_amount_cents: int | None
    order_reference: str | None
    reward: str | None
    voids_transaction: int | None
    notes: str | None
    ip_address: str | None
    user_agent: str | None


class ExportedOperation(BaseModel):
    op_id: str
    store: str | None
    type: str
    card_number: str
    till_time: datetime
    received_at: datetime
    status: str
    code: str | None
    message: str | None
    needs_attention: bool
    acknowledged_at: datetime | None
    acknowledged_note: str | None
    sent: dict[str, Any] = Field(description="the operation as the till sent it")


class MerchantRef(BaseModel):
    id: int
    name: str


class CustomerExport(BaseModel):
    about: str
    format: str = FORMAT
    exported_at: datetime
    merchant: MerchantRef
    customer: ExportedCustomer
    cards: list[ExportedCard]
    merged_card_numbers: list[ExportedAlias]
    transactions: list[ExportedTransaction]
    till_operations: list[ExportedOperation]


def export(
    session: Session, merchant_id: int, customer_id: int, now: datetime
) -> CustomerExport | Rejected:
    customer = repo.get(session, merchant_id, customer_id)
    if customer is None:
        return reject(Reason.CUSTOMER_NOT_FOUND)
    merchant = session.get_one(Merchant, merchant_id)
    cards = repo.cards_of(session, customer.id)
    card_ids = [c.id for c in cards]
    aliases = repo.aliases_of(session, card_ids)
    numbers = {c.id: c.card_number for c in cards}
    stores = repo.store_names(session, merchant_id)
    ops = repo.ops_about(
        session,
        merchant_id,
        [*numbers.values(), *(a.card_number for a in aliases)],
        customer.email,
    )
    return CustomerExport(
        about=(
            f"Everything {merchant.name} holds about customer #{customer.id} in its "
            "loyalty programme: the customer record, their cards, every transaction on "
            "them, and the operations tills sent about them. Times are UTC."
        ),
        exported_at=now,
        merchant=MerchantRef(id=merchant.id, name=merchant.name),
        customer=ExportedCustomer.model_validate(customer, from_attributes=True),
        cards=[_card(c, stores) for c in cards],
        merged_card_numbers=[_alias(a, numbers) for a in aliases],
        transactions=[_entry(e, numbers, stores) for e in repo.ledger_of(session, card_ids)],
        till_operations=[_op(op, stores) for op in (*ops, *repo.acknowledgements(session, ops))],
    )


def _card(c: Card, stores: dict[int, str]) -> ExportedCard:
    enrolled_at = stores.get(c.enrolled_at_store_id) if c.enrolled_at_store_id else None
    return ExportedCard(
        card_number=c.card_number,
        active=c.is_active,
        enrolled_at_store=enrolled_at,
        created_at=c.created_at,
        stamps=c.stamp_count,
        points=c.points_balance,
        total_stamps_earned=c.total_stamps_earned,
        stamps_redeemed=c.stamps_redeemed,
        total_points_earned=c.total_points_earned,
        points_redeemed=c.points_redeemed,
        last_activity_at=c.last_activity_at,
    )


def _alias(a: CardAlias, numbers: dict[int, str]) -> ExportedAlias:
    return ExportedAlias(
        card_number=a.card_number,
        now_part_of_card=numbers.get(a.card_id),
        merged_at=a.created_at,
    )


def _entry(e: LedgerEntry, numbers: dict[int, str], stores: dict[int, str]) -> ExportedTransaction:
    return ExportedTransaction(
        id=e.id,
        at=e.created_at,
        till_time=e.client_time,
        card_number=numbers.get(e.card_id),
        store=stores.get(e.store_id),
        type=e.type,
        stamps_delta=e.stamps_delta,
        points_delta=e.points_delta,
        stamps_after=e.stamp_count_after,
        points_after=e.points_balance_after,
        purchase_amount_cents=e.purchase_amount_cents,
        order_reference=e.order_reference,
        reward=e.reward_name,
        voids_transaction=e.related_transaction_id,
        notes=e.notes,
        ip_address=e.ip_address,
        user_agent=e.user_agent,
    )


def _op(op: SyncOp, stores: dict[int, str]) -> ExportedOperation:
    return ExportedOperation(
        op_id=op.op_id,
        store=stores.get(op.store_id),
        type=op.op_type,
        card_number=op.card_number,
        till_time=op.client_time,
        received_at=op.received_at,
        status=op.status,
        code=op.code,
        message=op.message,
        needs_attention=op.code is not None and op.acknowledged_at is None,
        acknowledged_at=op.acknowledged_at,
        acknowledged_note=op.acknowledged_note,
        sent=op.body,
    )
