"""Apple Wallet's pass web service (webServiceURL): devices register, list updated serials,
fetch the latest pass, send logs. Auth: ApplePass <token> per pass.

Paths and answers as Apple's "Wallet Passes web service" reference names them; the
logic is in sync_server/wallet/apple_service.py."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sync_server.api.deps import MetaDep, NowDep, SessionDep, SettingsDep, WalletEdgesDep
from sync_server.api.schemas.common import ErrorResponse, error_responses
from sync_server.wallet import apple_service as service

router = APIRouter(prefix="/wallet/apple/v1", tags=["wallet (Apple web service)"])

PKPASS = "application/vnd.apple.pkpass"
_ID = r"^[A-Za-z0-9._-]+$"
DeviceId = Annotated[
    str, Path(alias="deviceLibraryIdentifier", min_length=1, max_length=128, pattern=_ID)
]
PassTypeId = Annotated[
    str, Path(alias="passTypeIdentifier", min_length=1, max_length=255, pattern=_ID)
]
Serial = Annotated[str, Path(alias="serialNumber", min_length=1, max_length=64, pattern=_ID)]
Authorization = Annotated[str | None, Header(max_length=200)]
# Every route: 400 (a body that is no JSON), 422 (one that does not validate), 401.
_ERRORS = error_responses()
_REFUSED: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    401: {
        "model": ErrorResponse,
        "description": "Wrong or missing token, unknown pass (the same answer for each)",
    },
}


class Registration(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    push_token: str = Field(
        alias="pushToken", min_length=1, max_length=256, pattern=r"^[A-Za-z0-9+/=_.:-]+$"
    )


class SerialsUpdated(BaseModel):
    serialNumbers: list[str]
    lastUpdated: str


LogLine = Annotated[str, StringConstraints(max_length=4000)]


class DeviceLogs(BaseModel):
    logs: list[LogLine] = Field(max_length=100)


_REGISTRATION = "/devices/{deviceLibraryIdentifier}/registrations/{passTypeIdentifier}"


@router.post(
    f"{_REGISTRATION}/{{serialNumber}}",
    status_code=201,
    responses={
        200: {"description": "The device was already registered"},
        429: {"model": ErrorResponse, "description": "Too many registrations of this pass"},
        **_REFUSED,
    },
)
def register_device(
    device: DeviceId,
    pass_type: PassTypeId,
    serial: Serial,
    body: Registration,
    session: SessionDep,
    settings: SettingsDep,
    edges: WalletEdgesDep,
    now: NowDep,
    response: Response,
    authorization: Authorization = None,
) -> None:
    created = service.register(
        session,
        settings,
        edges,
        device_library_id=device,
        pass_type_id=pass_type,
        serial_number=serial,
        authorization=authorization,
        push_token=body.push_token,
        now=now,
    )
    response.status_code = 201 if created else 200


@router.delete(f"{_REGISTRATION}/{{serialNumber}}", responses=_REFUSED)
def unregister_device(
    device: DeviceId,
    pass_type: PassTypeId,
    serial: Serial,
    session: SessionDep,
    settings: SettingsDep,
    edges: WalletEdgesDep,
    authorization: Authorization = None,
) -> None:
    service.unregister(
        session,
        settings,
        edges,
        device_library_id=device,
        pass_type_id=pass_type,
        serial_number=serial,
        authorization=authorization,
    )


@router.get(
    _REGISTRATION,
    response_model=SerialsUpdated,
    responses={
        204: {"description": "No pass of this device was updated since the tag"},
        **_ERRORS,
    },
)
def serials_updated(
    device: DeviceId,
    pass_type: PassTypeId,
    session: SessionDep,
    edges: WalletEdgesDep,
    since: Annotated[
        str | None, Query(alias="passesUpdatedSince", max_length=18, pattern=r"^[0-9]+$")
    ] = None,
) -> Any:
    updated = service.updated_since(
        session, edges, device_library_id=device, pass_type_id=pass_type, since_tag=since
    )
    if updated is None:
        return Response(status_code=204)
    return SerialsUpdated(serialNumbers=updated.serial_numbers, lastUpdated=updated.last_updated)


@router.get(
    "/passes/{passTypeIdentifier}/{serialNumber}",
    response_class=Response,
    responses={
        200: {"content": {PKPASS: {}}, "description": "The pass as it is now"},
        304: {"description": "Not modified since If-Modified-Since"},
        **_REFUSED,
    },
)
def latest_pass(
    pass_type: PassTypeId,
    serial: Serial,
    session: SessionDep,
    settings: SettingsDep,
    edges: WalletEdgesDep,
    authorization: Authorization = None,
    if_modified_since: Annotated[str | None, Header(max_length=64)] = None,
) -> Response:
    found = service.latest_pass(
        session,
        settings,
        edges,
        pass_type_id=pass_type,
        serial_number=serial,
        authorization=authorization,
        if_modified_since=if_modified_since,
    )
    headers = {"Last-Modified": found.last_modified, "Cache-Control": "no-store"}
    if found.pkpass is None:
        return Response(status_code=304, headers=headers)
    return Response(found.pkpass, media_type=PKPASS, headers=headers)


@router.post("/log", responses=error_responses(429))
def device_log(body: DeviceLogs, session: SessionDep, meta: MetaDep, now: NowDep) -> None:
    service.record_logs(session, body.logs, meta.ip_address, now)
