"""Card operations of the store API: each builds a common operation and applies it.

A rule's refusal is returned (committed: a wrong PIN's failed attempt must count),
never raised.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from common import operations as ops
from common.outcome import Rejected
from common.program import StoreClock
from common.rules import RuleContext
from common.rules.stamps import stamp_availability
from sync_server.api.deps import (
    ActorDep,
    MetaDep,
    NowDep,
    SessionDep,
    SettingsDep,
    require_owner,
)
from sync_server.api.errors import rejection_response
from sync_server.api.schemas import links
from sync_server.api.schemas import operations as s
from sync_server.api.schemas.common import CardRef, IdPath, StaffConfirmation, error_responses
from sync_server.errors import ApiError
from sync_server.observability.metrics import Metrics
from sync_server.repositories import programs as program_repo
from sync_server.services import cards as card_service
from sync_server.services.card_state import state_of
from sync_server.services.operations import OpApplied, OpRequest, apply_operation
from sync_server.services.staff_pins import PinEntry, StaffProof

router = APIRouter(tags=["card operations"])
_ERRORS = {**error_responses(400, 403, 404, 409, 423), **links.OPERATED}


class Runner:
    """Everything an operation endpoint needs, gathered once by FastAPI."""

    def __init__(
        self,
        actor: ActorDep,
        session: SessionDep,
        settings: SettingsDep,
        meta: MetaDep,
        now: NowDep,
        request: Request,
    ) -> None:
        self.actor, self.session, self.settings, self.meta, self.now = (
            actor,
            session,
            settings,
            meta,
            now,
        )
        self.metrics: Metrics = request.app.state.metrics

    def run(
        self, ref: CardRef, staff: StaffConfirmation, build: Callable[[str], ops.Operation]
    ) -> OpApplied | Rejected:
        number = card_service.card_number_for(
            self.session,
            self.actor.merchant_id,
            card_id=ref.card_id,
            qr_code=ref.qr_code,
            card_number=ref.card_number,
        )
        if isinstance(number, Rejected):
            self.metrics.count_op("api", "rejected", number.code)
            return number
        try:
            op = build(number)
        except ValidationError as exc:
            raise ApiError(
                "VALIDATION_ERROR", "The operation is not valid.", errors=str(exc)
            ) from exc
        request = OpRequest(self.actor, op, _proof(staff), self.meta, self.now)
        result = apply_operation(self.session, request, self.settings)
        if isinstance(result, Rejected):
            self.metrics.count_op("api", "rejected", result.code)
        else:
            self.metrics.count_op("api", "applied", None)
        return result


RunnerDep = Annotated[Runner, Depends()]


def _proof(staff: StaffConfirmation) -> StaffProof | None:
    if staff.staff_pin is None:
        return None
    return PinEntry(pin=staff.staff_pin, staff_pin_id=staff.staff_pin_id)


def _base(result: OpApplied, message: str) -> dict[str, Any]:
    card, entry = result.card, result.entries[-1]
    target = result.rules.stamps_target
    return {
        "message": message,
        "transaction_id": entry.id,
        "card_id": card.id,
        "card_number": card.card_number,
        "stamp_count": card.stamp_count,
        "stamps_target": target,
        "stamps_until_reward": max(0, target - card.stamp_count),
        "points_balance": card.points_balance,
        "is_active": card.is_active,
        "staff_name": result.staff.name if result.staff else None,
        "transaction_at": entry.created_at,
    }


@router.post("/stamp", response_model=s.StampResponse, responses=_ERRORS)
def add_stamp(body: s.StampRequest, run: RunnerDep) -> s.StampResponse | JSONResponse:
    """Add one stamp (cooldown and daily limit checked under the card's lock)."""
    result = run.run(body, body, lambda n: ops.AddStamp(card_number=n, notes=body.notes))
    if isinstance(result, Rejected):
        return rejection_response(result)
    store = program_repo.store(run.session, run.actor.store_id)
    ctx = RuleContext(result.rules, StoreClock(store.timezone), run.now)
    status = stamp_availability(ctx, state_of(result.card))
    return s.StampResponse(
        **_base(result, "Stamp added."),
        reward_earned=result.card.stamp_count >= result.rules.stamps_target,
        next_stamp_available_at=status.cooldown_ends_at,
        stamps_today=status.stamps_today,
        stamps_remaining_today=max(0, result.rules.max_daily_stamps - status.stamps_today),
    )


@router.post("/stamp/redeem", response_model=s.StampRedeemResponse, responses=_ERRORS)
def redeem_stamps(
    body: s.StampRedeemRequest, run: RunnerDep
) -> s.StampRedeemResponse | JSONResponse:
    """Trade a full stamp card for its reward."""
    result = run.run(body, body, lambda n: ops.RedeemStamps(card_number=n, notes=body.notes))
    if isinstance(result, Rejected):
        return rejection_response(result)
    target = result.rules.stamps_target
    return s.StampRedeemResponse(
        **_base(result, "Reward redeemed."),
        stamps_redeemed=target,
        reward_description=result.rules.stamps_reward_description,
        total_redemptions=result.card.stamps_redeemed // target if target else 0,
    )


@router.post("/stamp/void", response_model=s.StampVoidResponse, responses=_ERRORS)
def void_stamps(body: s.StampVoidRequest, run: RunnerDep) -> s.StampVoidResponse | JSONResponse:
    """Take stamps back for a return: a count, or exactly what one stamp entry added."""
    result = run.run(
        body,
        body,
        lambda n: ops.VoidStamps(
            card_number=n,
            notes=body.notes,
            stamps_to_void=body.stamps_to_void,
            original_transaction_id=body.original_transaction_id,
        ),
    )
    if isinstance(result, Rejected):
        return rejection_response(result)
    return s.StampVoidResponse(
        **_base(result, "Stamps voided."), stamps_voided=-result.entries[-1].stamps_delta
    )


@router.post("/points/earn", response_model=s.PointsEarnResponse, responses=_ERRORS)
def earn_points(body: s.PointsEarnRequest, run: RunnerDep) -> s.PointsEarnResponse | JSONResponse:
    """Earn points for a purchase; an order reference earns only once per card."""
    result = run.run(
        body,
        body,
        lambda n: ops.EarnPoints(
            card_number=n,
            notes=body.notes,
            purchase_amount_cents=body.purchase_amount_cents,
            order_reference=body.order_reference,
        ),
    )
    if isinstance(result, Rejected):
        return rejection_response(result)
    return s.PointsEarnResponse(
        **_base(result, "Points earned."),
        points_earned=result.entries[-1].points_delta,
        purchase_amount_cents=body.purchase_amount_cents,
        order_reference=body.order_reference,
        points_per_currency_unit=result.rules.points_per_currency_unit,
    )


@router.post("/points/redeem", response_model=s.PointsRedeemResponse, responses=_ERRORS)
def redeem_points(
    body: s.PointsRedeemRequest, run: RunnerDep
) -> s.PointsRedeemResponse | JSONResponse:
    """Spend points on a reward of the catalog."""
    result = run.run(
        body,
        body,
        lambda n: ops.RedeemPoints(card_number=n, notes=body.notes, reward_id=body.reward_id),
    )
    if isinstance(result, Rejected):
        return rejection_response(result)
    entry = result.entries[-1]
    return s.PointsRedeemResponse(
        **_base(result, "Reward redeemed."),
        reward_id=body.reward_id,
        reward_name=entry.reward_name or body.reward_id,
        points_spent=-entry.points_delta,
    )


@router.post("/points/void", response_model=s.PointsVoidResponse, responses=_ERRORS)
def void_points(body: s.PointsVoidRequest, run: RunnerDep) -> s.PointsVoidResponse | JSONResponse:
    """Take points back for a return: an amount, one earn, or one order's earn."""
    result = run.run(
        body,
        body,
        lambda n: ops.VoidPoints(
            card_number=n,
            notes=body.notes,
            points_to_void=body.points_to_void,
            original_transaction_id=body.original_transaction_id,
            order_reference=body.order_reference,
        ),
    )
    if isinstance(result, Rejected):
        return rejection_response(result)
    entry = result.entries[-1]
    return s.PointsVoidResponse(
        **_base(result, "Points voided."),
        points_voided=-entry.points_delta,
        total_points_voided=result.card.total_points_voided,
        original_transaction_id=entry.related_transaction_id,
    )


@router.post(
    "/cards/{card_id:int}/points/adjust",
    response_model=s.PointsAdjustResponse,
    responses=_ERRORS,
    dependencies=[Depends(require_owner)],
)
def adjust_points(
    card_id: IdPath, body: s.PointsAdjustRequest, run: RunnerDep
) -> s.PointsAdjustResponse | JSONResponse:
    """Correct a balance by up to ±100000 points, with a reason (merchant owner only)."""
    result = run.run(
        CardRef(card_id=card_id),
        body,
        lambda n: ops.AdjustPoints(
            card_number=n, points_delta=body.points_delta, reason=body.reason
        ),
    )
    if isinstance(result, Rejected):
        return rejection_response(result)
    return s.PointsAdjustResponse(
        **_base(result, "Points adjusted."), points_delta=body.points_delta, reason=body.reason
    )


@router.post(
    "/cards/{card_id:int}/deactivate", response_model=s.OperationResponse, responses=_ERRORS
)
def deactivate_card(
    card_id: IdPath, body: s.CardStatusRequest, run: RunnerDep
) -> s.OperationResponse | JSONResponse:
    """Block a card (lost, abused); it refuses everything until reactivated."""
    result = run.run(
        CardRef(card_id=card_id), body, lambda n: ops.Deactivate(card_number=n, notes=body.notes)
    )
    if isinstance(result, Rejected):
        return rejection_response(result)
    return s.OperationResponse(**_base(result, "Card deactivated."))


@router.post(
    "/cards/{card_id:int}/reactivate", response_model=s.OperationResponse, responses=_ERRORS
)
def reactivate_card(
    card_id: IdPath, body: s.CardStatusRequest, run: RunnerDep
) -> s.OperationResponse | JSONResponse:
    """Unblock a card; balances are as they were."""
    result = run.run(
        CardRef(card_id=card_id), body, lambda n: ops.Reactivate(card_number=n, notes=body.notes)
    )
    if isinstance(result, Rejected):
        return rejection_response(result)
    return s.OperationResponse(**_base(result, "Card reactivated."))
