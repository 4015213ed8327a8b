"""Render models as response bodies; no query runs here except lazy customer access."""

from datetime import datetime

from common.program import ProgramRules, StoreClock
from common.rules import RuleContext
from common.rules.stamps import stamp_availability
from sync_server.api.schemas.cards import (
    CardDetailResponse,
    CardLookupResponse,
    CardResponse,
    TransactionResponse,
)
from sync_server.api.schemas.pins import PinResponse
from sync_server.api.schemas.program import ProgramResponse, RewardSchema
from sync_server.models import Card, LedgerEntry, Merchant, Program, StaffPin
from sync_server.repositories.cards import NO_WALLET, CardWallets
from sync_server.services.card_state import state_of
from sync_server.services.programs import rules_of


def program_response(program: Program) -> ProgramResponse:
    rules = rules_of(program)
    return ProgramResponse(
        id=program.id,
        merchant_id=program.merchant_id,
        loyalty_type=rules.loyalty_type,
        display_name=program.display_name,
        stamps_target=program.stamps_target,
        stamps_reward_description=program.stamps_reward_description,
        cooldown_minutes=program.cooldown_minutes,
        max_daily_stamps=program.max_daily_stamps,
        points_per_currency_unit=program.points_per_currency_unit,
        points_rewards=[RewardSchema(**r) for r in program.points_rewards or []],
        welcome_bonus_points=program.welcome_bonus_points,
        require_staff_pin=program.require_staff_pin,
        is_active=program.is_active,
        is_stamps_enabled=rules.is_stamps_enabled,
        is_points_enabled=rules.is_points_enabled,
        apple_wallet_enabled=program.apple_wallet_enabled,
        google_wallet_enabled=program.google_wallet_enabled,
        created_at=program.created_at,
        updated_at=program.updated_at,
    )


def card_response(
    card: Card, program: Program | None, wallets: CardWallets = NO_WALLET
) -> CardResponse:
    """``wallets``: read for the whole page beforehand (repositories.cards.wallets_of)."""
    return CardResponse(**_card_fields(card, program, wallets))


def _card_fields(card: Card, program: Program | None, wallets: CardWallets) -> dict[str, object]:
    target = program.stamps_target if program else 0
    return {
        "id": card.id,
        "card_number": card.card_number,
        "customer_id": card.customer_id,
        "merchant_id": card.merchant_id,
        "program_id": program.id if program else None,
        "enrolled_at_store_id": card.enrolled_at_store_id,
        "customer_name": card.customer.name,
        "customer_email": card.customer.email,
        "stamp_count": card.stamp_count,
        "stamps_target": target,
        "stamps_until_reward": max(0, target - card.stamp_count),
        "total_stamps_earned": card.total_stamps_earned,
        "stamps_redeemed": card.stamps_redeemed,
        "points_balance": card.points_balance,
        "total_points_earned": card.total_points_earned,
        "points_redeemed": card.points_redeemed,
        "total_points_voided": card.total_points_voided,
        "is_active": card.is_active,
        "created_at": card.created_at,
        "has_google_wallet": wallets.google,
        "has_apple_wallet": wallets.apple,
    }


def card_detail(
    card: Card, program: Program | None, merchant: Merchant, wallets: CardWallets = NO_WALLET
) -> CardDetailResponse:
    return CardDetailResponse(
        **_card_fields(card, program, wallets),
        merchant_name=merchant.name,
        qr_code_data=card.qr_code_data,
        program_name=program.display_name if program else None,
        program_type=program.loyalty_type if program else None,
        reward_description=program.stamps_reward_description if program else None,
        customer_phone=card.customer.phone,
        last_stamp_at=card.last_stamp_at,
        last_points_at=card.last_points_at,
        last_redemption_at=card.last_redemption_at,
        last_activity_at=card.last_activity_at,
    )


def card_lookup(
    card: Card,
    program: Program,
    merchant: Merchant,
    timezone: str,
    now: datetime,
    wallets: CardWallets = NO_WALLET,
) -> CardLookupResponse:
    rules: ProgramRules = rules_of(program)
    status = stamp_availability(RuleContext(rules, StoreClock(timezone), now), state_of(card))
    return CardLookupResponse(
        card_id=card.id,
        card_number=card.card_number,
        customer_id=card.customer_id,
        customer_name=card.customer.name,
        customer_email=card.customer.email,
        merchant_id=card.merchant_id,
        merchant_name=merchant.name,
        is_active=card.is_active,
        stamp_count=card.stamp_count,
        stamps_target=rules.stamps_target,
        stamps_until_reward=max(0, rules.stamps_target - card.stamp_count),
        points_balance=card.points_balance,
        can_redeem_stamps=card.is_active and card.stamp_count >= rules.stamps_target,
        stamp_reward_description=rules.stamps_reward_description,
        available_rewards=[
            {"id": r.id, "name": r.name, "points_required": r.points_required, "is_active": True}
            for r in rules.available_rewards(card.points_balance)
        ],
        can_stamp=status.can_stamp,
        cooldown_ends_at=status.cooldown_ends_at,
        stamps_today=status.stamps_today,
        max_daily_stamps=rules.max_daily_stamps,
        can_earn_more_stamps=status.can_earn_more_today,
        has_google_wallet=wallets.google,
        has_apple_wallet=wallets.apple,
    )


def transaction_response(
    entry: LedgerEntry, customer_name: str | None = None, staff_name: str | None = None
) -> TransactionResponse:
    return TransactionResponse(
        id=entry.id,
        card_id=entry.card_id,
        store_id=entry.store_id,
        staff_pin_id=entry.staff_pin_id,
        user_id=entry.user_id,
        transaction_type=entry.type,
        stamps_delta=entry.stamps_delta,
        points_delta=entry.points_delta,
        stamps_balance_after=entry.stamp_count_after,
        points_balance_after=entry.points_balance_after,
        purchase_amount_cents=entry.purchase_amount_cents,
        order_reference=entry.order_reference,
        reward_id=entry.reward_id,
        reward_description=entry.reward_name,
        related_transaction_id=entry.related_transaction_id,
        notes=entry.notes,
        client_time=entry.client_time,
        transaction_at=entry.created_at,
        customer_name=customer_name,
        staff_name=staff_name,
    )


def pin_response(pin: StaffPin, now: datetime) -> PinResponse:
    return PinResponse(
        id=pin.id,
        store_id=pin.store_id,
        name=pin.name,
        staff_id=pin.staff_id,
        is_active=pin.is_active,
        failed_attempts=pin.failed_attempts,
        locked_until=pin.locked_until,
        is_locked=pin.locked_until is not None and now < pin.locked_until,
        last_used_at=pin.last_used_at,
        created_at=pin.created_at,
    )
