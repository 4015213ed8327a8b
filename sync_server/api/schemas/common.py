"""Pieces shared by many bodies."""

from datetime import datetime
from typing import Annotated, Any, Self

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, model_validator


class ErrorResponse(BaseModel):
    code: str = Field(description="Stable machine-readable reason code")
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: every listed status answers with an ErrorResponse (400 is a body that
    is not JSON at all, 401 a missing token, 422 a body that does not validate)."""
    return {status: {"model": ErrorResponse} for status in (400, 401, 422, *statuses)}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CardRef(Strict):
    """Which card: exactly one of its id, its QR payload, or its number."""

    card_id: StrictInt | None = Field(default=None, ge=1, le=2**31 - 1)
    qr_code: str | None = Field(default=None, max_length=200)
    card_number: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [self.card_id, self.qr_code, self.card_number]
        if sum(v is not None for v in given) != 1:
            raise ValueError("give exactly one of card_id, qr_code, card_number")
        return self


class StaffConfirmation(BaseModel):
    """The staff PIN, and optionally who is typing it (one hash check instead of many)."""

    staff_pin: str | None = Field(default=None, min_length=1, max_length=16)
    staff_pin_id: StrictInt | None = Field(default=None, ge=1, le=2**31 - 1)


IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("a date-time must be an ISO 8601 string")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text)]
