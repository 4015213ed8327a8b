"""Card operation requests and responses of the store API."""

from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field, model_validator

from common.operations import MAX_ADJUSTMENT
from common.text import PlainText
from sync_server.api.schemas.common import (
    MAX_JSON_INT,
    CardRef,
    JsonInt,
    StaffConfirmation,
    Strict,
)


class _CardAction(CardRef, StaffConfirmation):
    notes: PlainText | None = Field(default=None, max_length=500)


class StampRequest(_CardAction):
    pass


class StampRedeemRequest(_CardAction):
    pass


class StampVoidRequest(_CardAction):
    one_of = (("stamps_to_void", "original_transaction_id"),)

    stamps_to_void: JsonInt | None = Field(default=None, ge=1, le=1000)
    original_transaction_id: JsonInt | None = Field(default=None, ge=1, le=MAX_JSON_INT)

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.stamps_to_void is None) == (self.original_transaction_id is None):
            raise ValueError("give exactly one of stamps_to_void, original_transaction_id")
        return self


class PointsEarnRequest(_CardAction):
    purchase_amount_cents: JsonInt = Field(ge=1, le=100_000_000)
    order_reference: PlainText | None = Field(default=None, min_length=1, max_length=100)


class PointsRedeemRequest(_CardAction):
    reward_id: PlainText = Field(min_length=1, max_length=64)


class PointsVoidRequest(_CardAction):
    one_of = (("points_to_void", "original_transaction_id", "order_reference"),)

    points_to_void: JsonInt | None = Field(default=None, ge=1, le=10_000_000)
    original_transaction_id: JsonInt | None = Field(default=None, ge=1, le=MAX_JSON_INT)
    order_reference: PlainText | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        given = [self.points_to_void, self.original_transaction_id, self.order_reference]
        if sum(v is not None for v in given) != 1:
            raise ValueError(
                "give exactly one of points_to_void, original_transaction_id, order_reference"
            )
        return self


class PointsAdjustRequest(StaffConfirmation, Strict):
    points_delta: JsonInt = Field(
        ge=-MAX_ADJUSTMENT,
        le=MAX_ADJUSTMENT,
        json_schema_extra={"not": {"const": 0}},
        description="not zero",
    )
    reason: PlainText = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _not_zero(self) -> Self:
        if self.points_delta == 0:
            raise ValueError("points_delta must not be zero")
        return self


class CardStatusRequest(StaffConfirmation, Strict):
    notes: PlainText | None = Field(default=None, max_length=500)


class OperationResponse(BaseModel):
    """Common to every card operation: the card after it, and the entry it wrote."""

    success: bool = True
    message: str
    transaction_id: int
    card_id: int
    card_number: str
    stamp_count: int
    stamps_target: int
    stamps_until_reward: int
    points_balance: int
    is_active: bool
    staff_name: str | None
    transaction_at: datetime


class StampResponse(OperationResponse):
    reward_earned: bool
    next_stamp_available_at: datetime | None
    stamps_today: int
    stamps_remaining_today: int


class StampRedeemResponse(OperationResponse):
    stamps_redeemed: int
    reward_description: str
    total_redemptions: int


class StampVoidResponse(OperationResponse):
    stamps_voided: int


class PointsEarnResponse(OperationResponse):
    points_earned: int
    purchase_amount_cents: int
    order_reference: str | None
    points_per_currency_unit: int


class PointsRedeemResponse(OperationResponse):
    reward_id: str
    reward_name: str
    points_spent: int


class PointsVoidResponse(OperationResponse):
    points_voided: int
    total_points_voided: int
    original_transaction_id: int | None


class PointsAdjustResponse(OperationResponse):
    points_delta: int
    reason: str
