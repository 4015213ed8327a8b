"""Staff PIN bodies: the hash never leaves the server through this API."""

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from common.pins import PIN_PATTERN
from common.text import PlainText
from sync_server.api.schemas.common import Patch, Strict

PinText = Field(pattern=PIN_PATTERN.pattern, description="4 to 8 digits")


class PinCreate(Strict):
    name: PlainText = Field(min_length=1, max_length=100)
    staff_id: PlainText | None = Field(default=None, max_length=50)
    pin: str = PinText


class PinUpdate(Patch):
    nullable = frozenset({"staff_id"})
    not_empty = True

    name: PlainText | None = Field(default=None, min_length=1, max_length=100)
    staff_id: PlainText | None = Field(default=None, max_length=50)
    pin: str | None = Field(default=None, pattern=PIN_PATTERN.pattern)
    is_active: StrictBool | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("nothing to update")
        return self


class PinResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    store_id: int
    name: str
    staff_id: str | None
    is_active: bool
    failed_attempts: int
    locked_until: datetime | None
    is_locked: bool
    last_used_at: datetime | None
    created_at: datetime


class PinListResponse(BaseModel):
    pins: list[PinResponse]
    total: int
