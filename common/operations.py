"""Operation bodies: what a terminal queues and the server applies, one schema each."""

from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from common.card_number import is_valid_card_number, normalize
from common.text import PlainText

MAX_ADJUSTMENT = 100_000


def _card_number(value: str) -> str:
    number = normalize(value)
    if not is_valid_card_number(number):
        raise ValueError("not a valid card number (16 digits with a check digit)")
    return number


CardNumber = Annotated[str, Field(max_length=32), AfterValidator(_card_number)]
Notes = Annotated[PlainText | None, Field(default=None, max_length=500)]
OrderReference = Annotated[PlainText, Field(min_length=1, max_length=100)]


class _CardOp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    card_number: CardNumber
    notes: Notes = None


class AddStamp(_CardOp):
    type: Literal["stamp.add"] = "stamp.add"


class RedeemStamps(_CardOp):
    type: Literal["stamp.redeem"] = "stamp.redeem"


class VoidStamps(_CardOp):
    """Void a number of stamps, or exactly what one original stamp entry added."""

    type: Literal["stamp.void"] = "stamp.void"
    stamps_to_void: int | None = Field(default=None, ge=1, le=1000)
    original_transaction_id: int | None = Field(default=None, ge=1, le=2**63 - 1)

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.stamps_to_void is None) == (self.original_transaction_id is None):
            raise ValueError("give exactly one of stamps_to_void, original_transaction_id")
        return self


class EarnPoints(_CardOp):
    type: Literal["points.earn"] = "points.earn"
    purchase_amount_cents: int = Field(ge=1, le=100_000_000)
    order_reference: OrderReference | None = None


class RedeemPoints(_CardOp):
    type: Literal["points.redeem"] = "points.redeem"
    reward_id: PlainText = Field(min_length=1, max_length=64)


class VoidPoints(_CardOp):
    """Void an amount, one original earn, or the earn of one order reference."""

    type: Literal["points.void"] = "points.void"
    points_to_void: int | None = Field(default=None, ge=1, le=10_000_000)
    original_transaction_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    order_reference: OrderReference | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        given = [self.points_to_void, self.original_transaction_id, self.order_reference]
        if sum(v is not None for v in given) != 1:
            raise ValueError(
                "give exactly one of points_to_void, original_transaction_id, order_reference"
            )
        return self


class AdjustPoints(_CardOp):
    type: Literal["points.adjust"] = "points.adjust"
    points_delta: int = Field(ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)
    reason: PlainText = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _not_zero(self) -> Self:
        if self.points_delta == 0:
            raise ValueError("points_delta must not be zero")
        return self


class CustomerDetails(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: EmailStr
    name: PlainText | None = Field(default=None, max_length=200)
    phone: PlainText | None = Field(default=None, max_length=40)


class Enroll(_CardOp):
    """Open a card; its number is allocated by the issuer (server or terminal node)."""

    type: Literal["card.enroll"] = "card.enroll"
    customer: CustomerDetails


class Deactivate(_CardOp):
    type: Literal["card.deactivate"] = "card.deactivate"


class Reactivate(_CardOp):
    type: Literal["card.reactivate"] = "card.reactivate"


CardOperation = (
    AddStamp
    | RedeemStamps
    | VoidStamps
    | EarnPoints
    | RedeemPoints
    | VoidPoints
    | AdjustPoints
    | Enroll
    | Deactivate
    | Reactivate
)
Operation = Annotated[CardOperation, Field(discriminator="type")]


class AcknowledgeAttention(BaseModel):
    """A staff member has seen an op of this till that the server refused (or flagged)
    and dealt with it. Names that op by its ``op_id``; moves no balance and writes no
    ledger entry. Travels through the outbox like any op, so it works offline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["attention.acknowledge"] = "attention.acknowledge"
    op_id: UUID
    note: Notes = None


MAX_STAMP_ADJUSTMENT = 1000


class ResolutionDecision(BaseModel):
    """How an attention item is settled: ``reapply`` grants it as a stamps or points
    adjustment linked to the refused op, ``dismiss`` closes it with a reason and moves
    nothing (docs/sync-protocol.md, "Resolution")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["reapply", "dismiss"]
    stamps_delta: int | None = Field(
        default=None, ge=-MAX_STAMP_ADJUSTMENT, le=MAX_STAMP_ADJUSTMENT
    )
    points_delta: int | None = Field(default=None, ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)
    reason: PlainText = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _amount_for_reapply_only(self) -> Self:
        given = [d for d in (self.stamps_delta, self.points_delta) if d is not None]
        if self.action == "dismiss" and given:
            raise ValueError("a dismissal moves nothing: give no stamps_delta or points_delta")
        if self.action == "reapply" and (len(given) != 1 or given[0] == 0):
            raise ValueError("a re-apply gives exactly one non-zero stamps_delta or points_delta")
        return self


class ResolveAttention(ResolutionDecision):
    """A till resolves an op of its own on the attention list, named by ``op_id``.
    Idempotent by the resolving op's own id, so it works offline."""

    type: Literal["attention.resolve"] = "attention.resolve"
    op_id: UUID


AttentionOperation = AcknowledgeAttention | ResolveAttention
# What a till queues and pushes: a card operation, an acknowledgement or a resolution.
TillOperation = Annotated[CardOperation | AttentionOperation, Field(discriminator="type")]
