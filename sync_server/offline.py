"""Offline risk limits (like EMV floor limits): what a till may redeem while offline.

The till enforces them before it hands a reward over; the server checks them again on
push, because a till that skipped them must not get its redemptions accepted."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from common.codes import Reason
from common.operations import Operation, RedeemPoints
from common.outcome import Rejected, reject
from sync_server.actor import StoreActor
from sync_server.config import Settings
from sync_server.repositories import programs as program_repo
from sync_server.repositories import sync_ops as repo
from sync_server.services.programs import rules_of

if TYPE_CHECKING:
    from sync_server.api.schemas.sync import PushedOp


@dataclass(frozen=True, slots=True)
class OfflinePolicy:
    max_cache_age: timedelta
    max_redemptions_per_card: int
    max_points_per_card: int
    allow_overspend: bool

    def check(
        self, session: Session, actor: StoreActor, item: "PushedOp", op: Operation, when: datetime
    ) -> Rejected | None:
        """An offline redemption within the limits, counted per card since the till's
        snapshot was taken (one offline period)."""
        assert actor.terminal_id is not None
        age = item.snapshot_age_s
        if age is None or age > self.max_cache_age.total_seconds():
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="cache_age", snapshot_age_s=age)
        since = when - timedelta(seconds=age)
        count, points = repo.offline_redemptions_since(
            session, actor.terminal_id, op.card_number, since
        )
        if count + 1 > self.max_redemptions_per_card:
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="count", allowed=count)
        value = _points_of(session, actor.merchant_id, op)
        if points + value > self.max_points_per_card:
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="points", allowed=points)
        return None


def _points_of(session: Session, merchant_id: int, op: Operation) -> int:
    if not isinstance(op, RedeemPoints):
        return 0
    program = program_repo.for_merchant(session, merchant_id)
    reward = rules_of(program).reward(op.reward_id) if program is not None else None
    return reward.points_required if reward is not None else 0


def offline_policy(session: Session, merchant_id: int, defaults: Settings) -> OfflinePolicy:
    own = program_repo.settings(session, merchant_id)

    def pick(name: str) -> int:
        value = getattr(own, name, None)
        return int(value) if value is not None else int(getattr(defaults, name))

    overspend = getattr(own, "offline_overspend_policy", None) or defaults.offline_overspend_policy
    return OfflinePolicy(
        max_cache_age=timedelta(minutes=pick("offline_max_cache_age_minutes")),
        max_redemptions_per_card=pick("offline_max_redemptions_per_card"),
        max_points_per_card=pick("offline_max_points_per_card"),
        allow_overspend=overspend == "allow",
    )
