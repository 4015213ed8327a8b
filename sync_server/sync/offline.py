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
from sync_server.models.sync import Terminal
from sync_server.repositories import cards as card_repo
from sync_server.repositories import programs as program_repo
from sync_server.repositories import sync_ops as repo
from sync_server.services.programs import rules_of

if TYPE_CHECKING:
    from sync_server.sync.messages import PushedOp


@dataclass(frozen=True, slots=True)
class OfflinePolicy:
    max_cache_age: timedelta
    max_redemptions_per_card: int
    max_points_per_card: int
    allow_overspend: bool

    def check(
        self, session: Session, actor: StoreActor, item: "PushedOp", op: Operation, when: datetime
    ) -> Rejected | None:
        """An offline redemption within the limits, judged from what the server knows:
        when it last served this till a pull (its snapshot can be no fresher) and the
        ops it already received from it. The till's own claim of its snapshot age only
        ever makes the check stricter."""
        assert actor.terminal_id is not None
        claimed = item.snapshot_age_s
        if claimed is None:
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="cache_age", snapshot_age_s=None)
        pulled = last_pull(session, actor.terminal_id)
        age = max(claimed, int((when - pulled).total_seconds()))
        if age > self.max_cache_age.total_seconds():
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="cache_age", snapshot_age_s=age)
        since = min(when - timedelta(seconds=claimed), pulled)
        count, points = repo.offline_redemptions_since(
            session, actor.terminal_id, op.card_number, since, received_after=pulled
        )
        if count + 1 > self.max_redemptions_per_card:
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="count", allowed=count)
        value = _points_of(session, actor.merchant_id, op)
        if points + value > self.max_points_per_card:
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="points", allowed=points)
        return None

    def may_overspend(self, session: Session, actor: StoreActor, card_number: str) -> bool:
        """Overspending is for a balance the till could not know: another till spent it
        after this one's snapshot. A card unchanged since this till's last pull was
        shown to it as it is, so the till had no reason to spend beyond it."""
        if not self.allow_overspend:
            return False
        assert actor.terminal_id is not None
        changed = card_repo.last_change(session, actor.merchant_id, card_number)
        return changed is None or changed > last_pull(session, actor.terminal_id)


def last_pull(session: Session, terminal_id: int) -> datetime:
    """When this till last completed a pull; before its first, when it was paired."""
    terminal = session.get_one(Terminal, terminal_id)
    return terminal.last_pull_at or terminal.created_at


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
