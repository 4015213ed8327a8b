"""Pieces shared by many bodies."""

from typing import Annotated, Any, ClassVar, Self

from fastapi import Path
from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from common.text import TEXT_PATTERN, PlainText
from sync_server.json_body import MAX_JSON_INT as MAX_JSON_INT
from sync_server.json_body import IsoDateTime as IsoDateTime
from sync_server.json_body import JsonInt as JsonInt
from sync_server.json_body import Patch as Patch
from sync_server.json_body import Strict as Strict
from sync_server.json_body import exactly_one as exactly_one


class ErrorResponse(BaseModel):
    code: str = Field(description="Stable machine-readable reason code")
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: every listed status answers with an ErrorResponse (400 is a body that
    is not JSON at all, 401 a missing token, 422 a body that does not validate)."""
    return {status: {"model": ErrorResponse} for status in (400, 401, 422, *statuses)}


_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" for c in word)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "email",
    "pattern": rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$",
    "not": {"pattern": rf"\.(?:{'|'.join(map(_any_case, _SPECIAL_USE))})$"},
    "maxLength": 254,
}
"""OpenAPI: the addresses an ``EmailStr`` takes, beyond "format: email": a dotted local
part (no quotes), a domain name with a dot (no IP literal), not a special-use domain."""


class CardRef(Strict):
    """Which card: exactly one of its id, its QR payload, or its number."""

    one_of: ClassVar[tuple[tuple[str, ...], ...] | None] = (("card_id", "qr_code", "card_number"),)

    card_id: JsonInt | None = Field(default=None, ge=1, le=2**31 - 1)
    qr_code: PlainText | None = Field(default=None, max_length=200)
    card_number: PlainText | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [self.card_id, self.qr_code, self.card_number]
        if sum(v is not None for v in given) != 1:
            raise ValueError("give exactly one of card_id, qr_code, card_number")
        return self


class CardRefQuery(CardRef):
    """The same reference in a query string: ``card_id`` arrives as text."""

    card_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


CARD_REF_QUERY: dict[str, Any] = {
    "name": "card",
    "in": "query",
    "required": True,
    "style": "form",
    "explode": True,
    "description": "exactly one of card_id, qr_code, card_number (e.g. ?card_id=7)",
    "schema": {
        "type": "object",
        "properties": {
            "card_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "qr_code": {"type": "string", "maxLength": 200, "pattern": TEXT_PATTERN},
            "card_number": {"type": "string", "maxLength": 32, "pattern": TEXT_PATTERN},
        },
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
    },
}
"""OpenAPI: the card reference of ``POST /cards/lookup``, one query object exploded
into its single key (a list of three optional parameters could not say "exactly one")."""


class StaffConfirmation(BaseModel):
    """The staff PIN, and optionally who is typing it (one hash check instead of many)."""

    staff_pin: PlainText | None = Field(default=None, min_length=1, max_length=16)
    staff_pin_id: JsonInt | None = Field(default=None, ge=1, le=2**31 - 1)


IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
