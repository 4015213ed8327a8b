"""Cards of the merchant: list, lookup, detail, history, and enrollment."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from common.codes import Reason
from common.operations import CustomerDetails, Enroll
from common.outcome import Rejected, reject
from common.text import PlainText
from sync_server.actor import StoreActor
from sync_server.api.deps import ActorDep, MetaDep, NowDep, SessionDep, SettingsDep
from sync_server.api.errors import rejection_response
from sync_server.api.schemas import links
from sync_server.api.schemas.cards import (
    CardDetailResponse,
    CardEnrollRequest,
    CardListResponse,
    CardLookupResponse,
    CardResponse,
    TransactionListResponse,
)
from sync_server.api.schemas.common import (
    CARD_REF_QUERY,
    CardRefQuery,
    IdPath,
    error_responses,
)
from sync_server.api.store.views import (
    card_detail,
    card_lookup,
    card_response,
    transaction_response,
)
from sync_server.errors import ApiError
from sync_server.models import Card, LedgerEntry, Merchant
from sync_server.repositories import cards as repo
from sync_server.repositories import ledger as ledger_repo
from sync_server.repositories import pins as pin_repo
from sync_server.repositories import programs as program_repo
from sync_server.services import cards as card_service
from sync_server.services import operations

router = APIRouter(tags=["cards"])


@router.get("/cards", responses={**error_responses(), **links.LISTED_CARDS})
def list_cards(
    actor: ActorDep,
    session: SessionDep,
    skip: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    is_active: bool | None = None,
    search: Annotated[PlainText | None, Query(max_length=100)] = None,
    enrolled_here: Annotated[bool, Query(description="only cards enrolled at this store")] = False,
) -> CardListResponse:
    """The merchant's cards (a card works at every store of its merchant)."""
    cards, total = repo.list_page(
        session,
        actor.merchant_id,
        skip=skip,
        limit=limit,
        is_active=is_active,
        search=search,
        enrolled_at_store_id=actor.store_id if enrolled_here else None,
    )
    program = program_repo.for_merchant(session, actor.merchant_id)
    wallets = repo.wallets_of(session, [c.id for c in cards])
    return CardListResponse(
        cards=[card_response(c, program, wallets.get(c.id, repo.NO_WALLET)) for c in cards],
        total=total,
    )


def _lookup_view(
    session: Session, actor: StoreActor, card: Card, now: NowDep
) -> CardLookupResponse:
    program = program_repo.for_merchant(session, actor.merchant_id)
    if program is None:
        raise ApiError.from_rejected(reject(Reason.PROGRAM_NOT_FOUND))
    store = program_repo.store(session, actor.store_id)
    merchant = session.get_one(Merchant, actor.merchant_id)
    wallets = repo.wallets_of(session, [card.id]).get(card.id, repo.NO_WALLET)
    return card_lookup(card, program, merchant, store.timezone, now, wallets)


@router.get("/cards/lookup", responses=error_responses(404))
def search_card(
    actor: ActorDep,
    session: SessionDep,
    now: NowDep,
    q: Annotated[
        PlainText, Query(min_length=1, max_length=200, description="card number, email or name")
    ],
) -> CardLookupResponse:
    """Find a card by card number, then customer email, then customer name."""
    card = repo.search(session, actor.merchant_id, q)
    if card is None:
        raise ApiError.from_rejected(reject(Reason.CARD_NOT_FOUND))
    return _lookup_view(session, actor, card, now)


@router.post(
    "/cards/lookup",
    responses=error_responses(400, 404),
    openapi_extra={"parameters": [CARD_REF_QUERY]},
)
def lookup_card(
    request: Request, actor: ActorDep, session: SessionDep, now: NowDep
) -> CardLookupResponse:
    """Look a card up by id, scanned QR payload, or card number: exactly one of them,
    as a query parameter (``?card_id=7``, ``?qr_code=…`` or ``?card_number=…``)."""
    try:
        ref = CardRefQuery.model_validate(dict(request.query_params))
    except ValueError as exc:
        raise ApiError(
            "VALIDATION_ERROR", "Give exactly one of card_id, qr_code, card_number."
        ) from exc
    card = card_service.find(
        session,
        actor.merchant_id,
        card_id=ref.card_id,
        qr_code=ref.qr_code,
        card_number=ref.card_number,
    )
    if isinstance(card, Rejected):
        raise ApiError.from_rejected(card)
    return _lookup_view(session, actor, card, now)


def _own_card(session: Session, actor: StoreActor, card_id: int) -> Card:
    card = repo.get(session, actor.merchant_id, card_id)
    if card is None:
        raise ApiError.from_rejected(reject(Reason.CARD_NOT_FOUND))
    return card


@router.get("/cards/{card_id:int}", responses=error_responses(404))
def get_card(card_id: IdPath, actor: ActorDep, session: SessionDep) -> CardDetailResponse:
    """Everything about one card."""
    card = _own_card(session, actor, card_id)
    program = program_repo.for_merchant(session, actor.merchant_id)
    wallets = repo.wallets_of(session, [card.id]).get(card.id, repo.NO_WALLET)
    return card_detail(card, program, session.get_one(Merchant, actor.merchant_id), wallets)


@router.get("/cards/{card_id:int}/transactions", responses=error_responses(404))
def card_transactions(
    card_id: IdPath,
    actor: ActorDep,
    session: SessionDep,
    skip: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> TransactionListResponse:
    """A card's ledger, newest first."""
    card = _own_card(session, actor, card_id)
    entries, total = ledger_repo.for_card(session, card.id, skip, limit)
    return _transactions(session, entries, total)


@router.get("/transactions", responses=error_responses())
def store_transactions(
    actor: ActorDep,
    session: SessionDep,
    skip: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    this_store_only: bool = False,
) -> TransactionListResponse:
    """Recent transactions of the merchant's program (or of this store only)."""
    entries, total = ledger_repo.for_merchant(
        session, actor.merchant_id, actor.store_id if this_store_only else None, skip, limit
    )
    return _transactions(session, entries, total)


def _transactions(
    session: Session, rows: Sequence[LedgerEntry], total: int
) -> TransactionListResponse:
    cards = {c.id: c for c in repo.by_ids(session, {e.card_id for e in rows})}
    staff = pin_repo.names_by_ids(session, {e.staff_pin_id for e in rows if e.staff_pin_id})
    return TransactionListResponse(
        transactions=[
            transaction_response(
                e,
                customer_name=cards[e.card_id].customer.name if e.card_id in cards else None,
                staff_name=staff.get(e.staff_pin_id) if e.staff_pin_id else None,
            )
            for e in rows
        ],
        total=total,
    )


@router.post(
    "/cards/enroll",
    status_code=201,
    response_model=CardResponse,
    responses={**error_responses(404, 409), **links.ENROLLED},
)
def enroll_customer(
    body: CardEnrollRequest,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    meta: MetaDep,
    now: NowDep,
) -> CardResponse | JSONResponse:
    """Open a card for a customer (by id, or by email: created if new) at this store."""
    if body.customer_id is not None:
        customer = repo.get_customer(session, actor.merchant_id, body.customer_id)
        if customer is None or customer.erased_at is not None:  # erased: nobody to enroll
            raise ApiError.from_rejected(reject(Reason.CUSTOMER_NOT_FOUND))
        repo.lock_customer(session, customer)
    else:
        assert body.email is not None
        customer = repo.lock_or_create_customer(
            session, actor.merchant_id, body.email, body.customer_name, body.customer_phone
        )
    if repo.get_by_customer(session, customer.id) is not None:
        return rejection_response(reject(Reason.CUSTOMER_ALREADY_ENROLLED, customer_id=customer.id))
    op = Enroll(
        card_number=operations.allocate_card_number(session),
        customer=CustomerDetails(email=customer.email, name=customer.name, phone=customer.phone),
    )
    result = operations.enroll(
        session, operations.OpRequest(actor, op, None, meta, now), customer, settings
    )
    if isinstance(result, Rejected):
        raise ApiError.from_rejected(result)
    return card_response(result.card, program_repo.for_merchant(session, actor.merchant_id))
