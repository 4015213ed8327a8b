"""Errors as JSON bodies with a stable code; one place maps codes to HTTP statuses."""

import math
from datetime import timedelta
from typing import Any

from common.codes import Reason
from common.outcome import Rejected

_STATUS: dict[str, int] = {
    Reason.CARD_NOT_FOUND: 404,
    Reason.CUSTOMER_NOT_FOUND: 404,
    Reason.PROGRAM_NOT_FOUND: 404,
    Reason.STAFF_PIN_NOT_FOUND: 404,
    Reason.REWARD_NOT_FOUND: 404,
    Reason.ORIGINAL_TRANSACTION_NOT_FOUND: 404,
    Reason.STAFF_PIN_REQUIRED: 400,
    Reason.STAFF_PIN_INVALID: 403,
    Reason.STAFF_PIN_LOCKED: 423,
    Reason.INVALID_CARD_NUMBER: 400,
    Reason.INVALID_QR_PAYLOAD: 400,
    Reason.QR_SIGNATURE_MISMATCH: 400,
    Reason.ADJUSTMENT_OUT_OF_BOUNDS: 422,
    Reason.ATTENTION_ITEM_NOT_FOUND: 404,
    Reason.REAPPLY_EXCEEDS_REFUSED: 403,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "BAD_REQUEST": 400,
    "VALIDATION_ERROR": 422,
    "BODY_TOO_LARGE": 413,
    "PAIRING_CODE_INVALID": 404,
    "TOO_MANY_ATTEMPTS": 429,
    "NOT_A_LOGIN": 403,
    "PROTOCOL_UNSUPPORTED": 426,
    "SERVER_BUSY": 503,
    "DATABASE_UNAVAILABLE": 503,
    "INTERNAL_ERROR": 500,
}


def status_for(code: str) -> int:
    """Rule rejections not listed are conflicts with the card's current state."""
    return _STATUS.get(code, 409)


class ApiError(Exception):
    """Refuses a request with no side effect worth keeping (the transaction rolls back)."""

    def __init__(self, code: str, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail

    @property
    def status(self) -> int:
        return status_for(self.code)

    @classmethod
    def from_rejected(cls, rejected: Rejected) -> "ApiError":
        return cls(rejected.code, rejected.message, **rejected.detail)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}

    @property
    def headers(self) -> dict[str, str]:
        return {}


class TooManyAttempts(ApiError):
    """429 with ``Retry-After``: the client learns when to try again, not whether it
    guessed right (the budget is checked before the guess)."""

    def __init__(self, message: str, wait: timedelta) -> None:
        seconds = max(1, math.ceil(wait.total_seconds()))
        minutes = math.ceil(seconds / 60)
        message = f"{message} Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        super().__init__("TOO_MANY_ATTEMPTS", message, retry_after_s=seconds)
        self.retry_after_s = seconds

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


def not_found(what: str) -> ApiError:
    return ApiError("NOT_FOUND", f"{what} not found.")


def forbidden(message: str) -> ApiError:
    return ApiError("FORBIDDEN", message)
