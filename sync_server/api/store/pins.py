"""Staff PINs of the calling store; a PIN of another store is always 'not found'."""

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from common.codes import Reason
from common.outcome import Rejected, reject
from sync_server.api.deps import NowDep, PersonDep, SessionDep
from sync_server.api.errors import rejection_response
from sync_server.api.schemas import links
from sync_server.api.schemas.common import IdPath, error_responses
from sync_server.api.schemas.pins import PinCreate, PinListResponse, PinResponse, PinUpdate
from sync_server.api.store.views import pin_response
from sync_server.errors import ApiError
from sync_server.models import StaffPin
from sync_server.repositories import pins as repo
from sync_server.services import staff_pins as service

router = APIRouter(tags=["staff PINs"])


def _own_pin(session: SessionDep, store_id: int, pin_id: int) -> StaffPin:
    pin = repo.lock(session, store_id, pin_id)
    if pin is None:
        raise ApiError.from_rejected(reject(Reason.STAFF_PIN_NOT_FOUND))
    return pin


@router.get("/pins", responses=error_responses(403))
def list_pins(actor: PersonDep, session: SessionDep, now: NowDep) -> PinListResponse:
    """Staff PINs of this store."""
    pins = repo.list_for_store(session, actor.store_id)
    return PinListResponse(pins=[pin_response(p, now) for p in pins], total=len(pins))


@router.post(
    "/pins",
    status_code=201,
    response_model=PinResponse,
    responses={**error_responses(403, 409), **links.PIN_CREATED},
)
def create_pin(
    body: PinCreate, actor: PersonDep, session: SessionDep, now: NowDep
) -> PinResponse | JSONResponse:
    """Add a staff member's PIN to this store (unique within the store)."""
    pin = service.create(
        session, actor.merchant_id, actor.store_id, body.name, body.pin, body.staff_id
    )
    if isinstance(pin, Rejected):
        return rejection_response(pin)
    return pin_response(pin, now)


@router.patch(
    "/pins/{pin_id:int}", response_model=PinResponse, responses=error_responses(403, 404, 409)
)
def update_pin(
    pin_id: IdPath, body: PinUpdate, actor: PersonDep, session: SessionDep, now: NowDep
) -> PinResponse | JSONResponse:
    """Rename, change the PIN (which also unlocks it), or (de)activate."""
    pin = _own_pin(session, actor.store_id, pin_id)
    fields = body.model_dump(exclude_unset=True)
    if "pin" in fields:
        refused = service.change_pin(session, pin, fields.pop("pin"))
        if refused is not None:
            return rejection_response(refused)
    for name, value in fields.items():
        setattr(pin, name, value)
    session.flush()
    return pin_response(pin, now)


@router.delete("/pins/{pin_id:int}", status_code=204, responses=error_responses(403, 404))
def delete_pin(pin_id: IdPath, actor: PersonDep, session: SessionDep, now: NowDep) -> Response:
    """Remove a PIN; ledger entries keep naming it."""
    service.delete(_own_pin(session, actor.store_id, pin_id), now)
    return Response(status_code=204)


@router.post("/pins/{pin_id:int}/unlock", responses=error_responses(403, 404))
def unlock_pin(pin_id: IdPath, actor: PersonDep, session: SessionDep, now: NowDep) -> PinResponse:
    """Clear the failed attempts and the lock."""
    pin = _own_pin(session, actor.store_id, pin_id)
    service.unlock(pin)
    session.flush()
    return pin_response(pin, now)
