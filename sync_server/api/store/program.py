"""Program (merchant-wide; create/update/delete by the owner), settings and stats."""

from fastapi import APIRouter, Response

from common.codes import Reason
from common.erasure import card_policy
from common.outcome import reject
from sync_server.api.deps import ActorDep, NowDep, OwnerDep, PersonDep, SessionDep, SettingsDep
from sync_server.api.schemas.common import error_responses
from sync_server.api.schemas.program import (
    MerchantStatsResponse,
    ProgramCreate,
    ProgramResponse,
    ProgramStatsResponse,
    ProgramUpdate,
    RewardSchema,
    SettingsResponse,
    SettingsUpdate,
    StoreStats,
    TodayFigures,
    WalletsResponse,
    duplicate_reward_ids,
)
from sync_server.api.store.views import program_response
from sync_server.errors import ApiError
from sync_server.models import Program
from sync_server.repositories import cards as card_repo
from sync_server.repositories import programs as repo
from sync_server.services import programs as service
from sync_server.services import stats

router = APIRouter(tags=["program"])


def _require_program(session: SessionDep, merchant_id: int) -> Program:
    program = repo.for_merchant(session, merchant_id)
    if program is None:
        raise ApiError.from_rejected(reject(Reason.PROGRAM_NOT_FOUND))
    return program


@router.get("/program", responses=error_responses(404))
def get_program(actor: ActorDep, session: SessionDep) -> ProgramResponse:
    """The merchant's loyalty program."""
    return program_response(_require_program(session, actor.merchant_id))


def _refuse_duplicate_rewards(rewards: list[RewardSchema] | None) -> None:
    duplicates = duplicate_reward_ids(rewards)
    if duplicates:
        raise ApiError(
            "REWARD_ID_DUPLICATE", "Each reward needs its own id.", reward_ids=duplicates
        )


@router.post("/program", status_code=201, responses=error_responses(403, 409))
def create_program(body: ProgramCreate, actor: OwnerDep, session: SessionDep) -> ProgramResponse:
    """Create the program (merchant owner only; one per merchant). Reward ids are
    unique (409 REWARD_ID_DUPLICATE)."""
    _refuse_duplicate_rewards(body.points_rewards)
    fields = body.model_dump()
    fields["points_rewards"] = [r.model_dump() for r in body.points_rewards]
    program = service.create(session, actor.merchant_id, fields)
    if program is None:
        raise ApiError.from_rejected(reject(Reason.PROGRAM_ALREADY_EXISTS))
    return program_response(program)


@router.put("/program", responses=error_responses(403, 404, 409))
def update_program(body: ProgramUpdate, actor: OwnerDep, session: SessionDep) -> ProgramResponse:
    """Change the program (merchant owner only). Existing balances are never rescaled.
    Reward ids are unique (409 REWARD_ID_DUPLICATE)."""
    _refuse_duplicate_rewards(body.points_rewards)
    program = _require_program(session, actor.merchant_id)
    fields = body.model_dump(exclude_unset=True)
    if body.points_rewards is not None:
        fields["points_rewards"] = [r.model_dump() for r in body.points_rewards]
    return program_response(service.update(session, program, fields))


@router.get("/program/wallets", responses=error_responses(403, 404))
def get_wallets(actor: PersonDep, session: SessionDep) -> WalletsResponse:
    """Which wallets the program offers and how many cards carry a pass (the owner or a
    store manager; the switches are in PUT /program, owner only)."""
    program = _require_program(session, actor.merchant_id)
    counts = card_repo.wallet_counts(session, actor.merchant_id)
    return WalletsResponse(
        apple_wallet_enabled=program.apple_wallet_enabled,
        google_wallet_enabled=program.google_wallet_enabled,
        cards_with_apple_pass=counts.apple_cards,
        cards_with_google_object=counts.google_cards,
        registered_devices=counts.devices,
    )


@router.delete("/program", status_code=204, responses=error_responses(403, 404))
def delete_program(actor: OwnerDep, session: SessionDep) -> Response:
    """Delete the program (merchant owner only); cards and their ledger are kept."""
    service.delete(session, _require_program(session, actor.merchant_id))
    return Response(status_code=204)


@router.get("/settings", responses=error_responses())
def get_settings(actor: ActorDep, session: SessionDep, defaults: SettingsDep) -> SettingsResponse:
    """Merchant settings (PIN lockout, till sign-in, currency): the merchant's values
    and the effective ones."""
    return _settings_response(session, actor.merchant_id, defaults)


@router.put("/settings", responses=error_responses(403))
def update_settings(
    body: SettingsUpdate, actor: OwnerDep, session: SessionDep, defaults: SettingsDep
) -> SettingsResponse:
    """Set the merchant's settings (owner only); null falls back to the default."""
    own = repo.settings_for_update(session, actor.merchant_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(own, name, value)
    session.flush()
    return _settings_response(session, actor.merchant_id, defaults)


def _settings_response(
    session: SessionDep, merchant_id: int, defaults: SettingsDep
) -> SettingsResponse:
    own = repo.settings(session, merchant_id)
    policy = service.lockout_policy(session, merchant_id, defaults)
    till = service.till_settings(session, merchant_id)
    return SettingsResponse(
        merchant_id=merchant_id,
        pin_lockout_attempts=own.pin_lockout_attempts,
        pin_lockout_minutes=own.pin_lockout_minutes,
        effective_pin_lockout_attempts=policy.max_attempts,
        effective_pin_lockout_minutes=policy.lockout_minutes,
        staff_session_minutes=own.staff_session_minutes,
        effective_staff_session_minutes=till.staff_session_minutes,
        currency=own.currency,
        effective_currency=till.currency,
        till_history_days=own.till_history_days,
        effective_till_history_days=till.history_days,
        erasure_cards=own.erasure_cards,
        effective_erasure_cards=card_policy(own.erasure_cards),
    )


@router.get("/stats", responses=error_responses(404))
def get_stats(actor: ActorDep, session: SessionDep, now: NowDep) -> ProgramStatsResponse:
    """Program figures; 'today' counts from midnight in this store's time zone."""
    program = _require_program(session, actor.merchant_id)
    totals = stats.card_totals(session, actor.merchant_id)
    store = repo.store(session, actor.store_id)
    today = stats.today(session, actor.merchant_id, now, store.timezone)
    return ProgramStatsResponse(
        program_id=program.id,
        **vars_of(totals),
        cards_active_30d=stats.cards_active_since(
            session, actor.merchant_id, stats.thirty_days_ago(now)
        ),
        today=TodayFigures(**vars_of(today)),
    )


@router.get("/stats/merchant", responses=error_responses())
def get_merchant_stats(actor: ActorDep, session: SessionDep) -> MerchantStatsResponse:
    """Merchant-wide figures across all stores."""
    totals = stats.card_totals(session, actor.merchant_id)
    return MerchantStatsResponse(
        merchant_id=actor.merchant_id,
        total_cards=totals.total_cards,
        active_cards=totals.active_cards,
        total_stamps_earned=totals.total_stamps_earned,
        total_points_earned=totals.total_points_earned,
        total_points_redeemed=totals.total_points_redeemed,
        stores=[StoreStats(**vars_of(s)) for s in stats.per_store(session, actor.merchant_id)],
    )


def vars_of(obj: object) -> dict[str, object]:
    """Fields of a slotted dataclass as a dict."""
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]
