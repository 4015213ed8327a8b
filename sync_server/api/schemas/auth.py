"""Login bodies."""

from datetime import datetime

from pydantic import BaseModel, Field

from common.text import PlainText
from sync_server.api.schemas.common import JsonInt, Strict


class LoginRequest(Strict):
    email: PlainText = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)
    store_id: JsonInt | None = Field(default=None, ge=1, le=2**31 - 1)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 scheme name, not a secret
    expires_at: datetime
    store_id: int
    merchant_id: int
    role: str


class MeResponse(BaseModel):
    merchant_id: int
    store_id: int
    role: str
    user_id: int | None
