"""Pieces shared by many bodies."""

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from fastapi import Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    model_validator,
)

from common.text import PlainText


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


def _without_null(schema: dict[str, Any], model: type[Any]) -> None:
    """OpenAPI: a patch field that refuses null is documented as not nullable."""
    nullable: frozenset[str] = getattr(model, "nullable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf")
        if name in nullable or not branches:
            continue
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1:
            prop.pop("anyOf")
            prop.pop("default", None)
            prop.update(kept[0])


class Patch(Strict):
    """A partial update: a field left out stays as it is; null is refused, except for
    the fields in ``nullable`` (null there means: clear it, or back to the default)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_null)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = [
                str(k)
                for k, v in data.items()
                if v is None and k in cls.model_fields and k not in cls.nullable
            ]
            if nulls:
                raise ValueError(f"{', '.join(nulls)}: null is not a value here (leave it out)")
        return data


class CardRef(Strict):
    """Which card: exactly one of its id, its QR payload, or its number."""

    card_id: StrictInt | None = Field(default=None, ge=1, le=2**31 - 1)
    qr_code: PlainText | None = Field(default=None, max_length=200)
    card_number: PlainText | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [self.card_id, self.qr_code, self.card_number]
        if sum(v is not None for v in given) != 1:
            raise ValueError("give exactly one of card_id, qr_code, card_number")
        return self


class StaffConfirmation(BaseModel):
    """The staff PIN, and optionally who is typing it (one hash check instead of many)."""

    staff_pin: PlainText | None = Field(default=None, min_length=1, max_length=16)
    staff_pin_id: StrictInt | None = Field(default=None, ge=1, le=2**31 - 1)


IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("a date-time must be an ISO 8601 string")
    return value


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("a date-time must lie between years 1 and 9999 in UTC") from exc


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]
"""An RFC 3339 date-time: the offset is required (a naive time means nothing to a
server whose tills sit in several time zones)."""
