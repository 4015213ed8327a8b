"""Card, customer and transaction bodies."""

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, WithJsonSchema, model_validator

from common.text import PlainText
from sync_server.api.schemas.common import EMAIL_SCHEMA, JsonInt, Strict


class CardResponse(BaseModel):
    id: int
    card_number: str
    customer_id: int
    merchant_id: int
    program_id: int | None
    enrolled_at_store_id: int | None
    customer_name: str | None = None
    customer_email: str | None = None
    stamp_count: int
    stamps_target: int
    stamps_until_reward: int
    total_stamps_earned: int
    stamps_redeemed: int
    points_balance: int
    total_points_earned: int
    points_redeemed: int
    total_points_voided: int
    is_active: bool
    created_at: datetime
    has_google_wallet: bool = Field(False, description="a Google Wallet object exists")
    has_apple_wallet: bool = Field(False, description="an Apple Wallet pass was handed out")


class CardListResponse(BaseModel):
    cards: list[CardResponse]
    total: int


class CardDetailResponse(CardResponse):
    merchant_name: str | None
    qr_code_data: str
    program_name: str | None
    program_type: str | None
    reward_description: str | None
    customer_phone: str | None
    last_stamp_at: datetime | None
    last_points_at: datetime | None
    last_redemption_at: datetime | None
    last_activity_at: datetime | None


class CardLookupResponse(BaseModel):
    card_id: int
    card_number: str
    customer_id: int
    customer_name: str | None
    customer_email: str | None  # null once the customer is erased
    merchant_id: int
    merchant_name: str | None
    is_active: bool
    stamp_count: int
    stamps_target: int
    stamps_until_reward: int
    points_balance: int
    can_redeem_stamps: bool
    stamp_reward_description: str
    available_rewards: list[dict[str, Any]]
    can_stamp: bool
    cooldown_ends_at: datetime | None
    stamps_today: int
    max_daily_stamps: int
    can_earn_more_stamps: bool
    has_google_wallet: bool = Field(False, description="a Google Wallet object exists")
    has_apple_wallet: bool = Field(False, description="an Apple Wallet pass was handed out")


class TransactionResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    card_id: int
    store_id: int
    staff_pin_id: int | None
    user_id: int | None
    transaction_type: str
    stamps_delta: int
    points_delta: int
    stamps_balance_after: int
    points_balance_after: int
    purchase_amount_cents: int | None
    order_reference: str | None
    reward_id: str | None
    reward_description: str | None
    related_transaction_id: int | None
    notes: str | None
    client_time: datetime | None
    transaction_at: datetime
    customer_name: str | None = None
    staff_name: str | None = None


class TransactionListResponse(BaseModel):
    transactions: list[TransactionResponse]
    total: int


class CardEnrollRequest(Strict):
    """Enroll an existing customer by id, or by email (created if new)."""

    one_of = (("customer_id", "email"),)

    customer_id: JsonInt | None = Field(default=None, ge=1, le=2**31 - 1)
    email: Annotated[EmailStr, WithJsonSchema(EMAIL_SCHEMA)] | None = None
    customer_name: PlainText | None = Field(default=None, max_length=200)
    customer_phone: PlainText | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _one_customer(self) -> Self:
        if (self.customer_id is None) == (self.email is None):
            raise ValueError("give exactly one of customer_id, email")
        return self
