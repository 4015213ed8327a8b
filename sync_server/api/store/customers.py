"""The owner's answers to a customer's data requests: export and erasure.

Another merchant's customer id is 404, like a missing one (never 403: the id's
existence is not told)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from common.erasure import CardPolicy
from common.outcome import Rejected
from sync_server.api.deps import NowDep, OwnerDep, SessionDep
from sync_server.api.schemas.common import IdPath, error_responses
from sync_server.errors import ApiError
from sync_server.services import customer_erasure, customer_export
from sync_server.services.customer_export import CustomerExport

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


@router.get("/{customer_id:int}/export", responses=error_responses(403, 404))
def export_customer(
    customer_id: IdPath, actor: OwnerDep, session: SessionDep, now: NowDep
) -> CustomerExport:
    """Everything the merchant holds about one customer (owner only): the customer
    record, cards, merged card numbers, every transaction with its notes and request
    metadata where still held, and the operations tills sent about them."""
    found = customer_export.export(session, actor.merchant_id, customer_id, now)
    if isinstance(found, Rejected):
        raise ApiError.from_rejected(found)
    return found


class ErasureResponse(BaseModel):
    customer_id: int
    erased_at: datetime
    card_policy: CardPolicy
    card_numbers: list[str]


@router.delete("/{customer_id:int}", responses=error_responses(403, 404))
def erase_customer(
    customer_id: IdPath, actor: OwnerDep, session: SessionDep, now: NowDep
) -> ErasureResponse:
    """Erase the customer's personal data (owner only): email, name and phone, the
    notes and request metadata of their transactions, and what tills sent about them.
    Their cards are closed or kept as anonymous balances (the merchant's
    ``erasure_cards`` setting; default close). Erasing again answers the same."""
    by = customer_erasure.ErasedBy(actor.user_id, "api")
    erased = customer_erasure.erase(session, actor.merchant_id, customer_id, by, now)
    if isinstance(erased, Rejected):
        raise ApiError.from_rejected(erased)
    return ErasureResponse(
        customer_id=erased.customer_id,
        erased_at=erased.erased_at,
        card_policy=erased.card_policy,
        card_numbers=list(erased.card_numbers),
    )
