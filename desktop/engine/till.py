"""One call per cashier action, decided offline with the common/ rules against the
projected card, and written to the outbox before it returns.

The decision is provisional: the server runs the same rule on the row-locked card and
its outcome wins (the attention list shows where they differ).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from common.card import CardState
from common.card_number import is_valid_card_number, make_card_number, normalize
from common.codes import Reason
from common.operations import (
    AttentionOperation,
    CustomerDetails,
    Enroll,
    Operation,
    RedeemPoints,
    RedeemStamps,
    VoidPoints,
    VoidStamps,
)
from common.outcome import Applied, Rejected, reject
from common.program import LoyaltyType, ProgramRules, Reward, StoreClock
from common.qr import parse_qr
from common.rules import RuleContext, decide
from desktop.engine.facts import facts_for
from desktop.engine.local_store import LocalStore, OutboxEntry
from desktop.engine.lookup import CardMatch, find_by_customer, find_by_number, typed
from desktop.engine.projection import Projection, project


@dataclass(frozen=True, slots=True)
class Confirmed:
    """What the cashier is shown as done: the card as it now stands on this till.
    ``verified``: the server already applied it (an online redemption waits for that);
    otherwise it is decided here and the server will check it again."""

    card: CardState
    op_id: str
    seq: int
    verified: bool = False


# Asks the server for an op's verdict; the answered outbox entry, or None in time.
Verdict = Callable[[str, float], OutboxEntry | None]
VERDICT_WAIT_S = 2.0


def rules_from_program(program: dict[str, Any]) -> ProgramRules:
    """The program as pulled (the server's ProgramResponse) as the rules see it."""
    return ProgramRules(
        loyalty_type=LoyaltyType(program["loyalty_type"]),
        stamps_target=program["stamps_target"],
        stamps_reward_description=program["stamps_reward_description"],
        cooldown_minutes=program["cooldown_minutes"],
        max_daily_stamps=program["max_daily_stamps"],
        points_per_currency_unit=program["points_per_currency_unit"],
        points_rewards=tuple(Reward(**r) for r in program["points_rewards"]),
        welcome_bonus_points=program["welcome_bonus_points"],
        require_staff_pin=program["require_staff_pin"],
        is_active=program["is_active"],
    )


class Till:
    def __init__(
        self,
        store: LocalStore,
        now: Callable[[], datetime] | None = None,
        online: Callable[[], bool] = lambda: False,
        verdict: Verdict | None = None,
    ) -> None:
        self.store = store
        self._now = now or store.local_now
        self._online = online
        self._verdict = verdict

    # -- context ----------------------------------------------------------------------

    def now(self) -> datetime:
        """The till's clock corrected by the offset seen at the last pull."""
        return self._now() + timedelta(seconds=float(self.store.get_meta("clock_offset_s", 0)))

    def context_at(self, at: datetime) -> RuleContext:
        program = self.store.get_meta("program")
        if program is None:
            raise LookupError("no program pulled yet")
        zone = (self.store.get_meta("store") or {}).get("timezone", "UTC")
        return RuleContext(rules_from_program(program), StoreClock(zone), at)

    def snapshot_taken_at(self) -> datetime | None:
        pulled = self.store.get_meta("pulled_at")
        return datetime.fromisoformat(pulled) if pulled is not None else None

    def snapshot_age_s(self) -> int | None:
        taken = self.snapshot_taken_at()
        if taken is None:
            return None
        return max(0, int((self.now() - taken).total_seconds()))

    # -- lookup -----------------------------------------------------------------------

    def card_number_from_scan(self, text: str) -> str | Rejected:
        """A QR payload, or a card number typed or sent by a USB scanner."""
        text = typed(text)
        if text.strip().upper().startswith("LOY"):
            key = self.store.get_meta("qr_key")
            return parse_qr(text, bytes.fromhex(key) if key else None)
        number = normalize(text)
        return number if is_valid_card_number(number) else reject(Reason.INVALID_CARD_NUMBER)

    def card(self, card_number: str) -> CardState | None:
        return project(self.store, card_number, self.context_at).card

    def search(self, query: str, limit: int = 20) -> list[CardMatch]:
        """Cards by QR payload or card number, else by email, name or phone."""
        query = typed(query)
        number = self.card_number_from_scan(query)
        if isinstance(number, str):
            return find_by_number(self.store, number, self.card)
        return find_by_customer(self.store, query, self.card, limit)

    # -- actions ----------------------------------------------------------------------

    def perform(self, op: Operation, staff_pin_id: int | None) -> Confirmed | Rejected:
        now = self.now()
        offline = not self._online()
        if offline and isinstance(op, RedeemPoints | RedeemStamps):
            refused = self._offline_limits(op, now)
            if refused is not None:
                return refused
        projected = (
            Projection(None, [])
            if isinstance(op, Enroll)
            else project(self.store, op.card_number, self.context_at)
        )
        decision = decide(self.context_at(now), projected.card, op, facts_for(op, projected.known))
        if isinstance(decision, Rejected):
            return decision
        assert isinstance(decision, Applied)
        entry = self.store.append(
            op,
            client_time=now,
            staff_pin_id=staff_pin_id,
            offline=offline,
            snapshot_age_s=self.snapshot_age_s(),
        )
        if not offline and self._verdict is not None and isinstance(op, _WAITS_FOR_SERVER):
            return self._server_verdict(entry, op.card_number, decision.card)
        return Confirmed(card=decision.card, op_id=entry.op_id, seq=entry.seq)

    def _server_verdict(
        self, entry: OutboxEntry, card_number: str, provisional: CardState
    ) -> Confirmed | Rejected:
        """Online, a redemption is only 'done' once the server says so: two tills may be
        spending the same points this second. Past the wait it stands as decided here."""
        assert self._verdict is not None
        answered = self._verdict(entry.op_id, VERDICT_WAIT_S)
        if answered is None or answered.status == "pending":
            return Confirmed(card=provisional, op_id=entry.op_id, seq=entry.seq)
        outcome = answered.outcome or {}
        if answered.status != "applied":
            return reject(_reason(outcome.get("code")), outcome.get("message"), op_id=entry.op_id)
        card = self.card(card_number) or provisional
        return Confirmed(card=card, op_id=entry.op_id, seq=entry.seq, verified=True)

    def enroll(
        self, email: str, name: str | None, phone: str | None, staff_pin_id: int | None
    ) -> Confirmed | Rejected:
        """A new card from this till's own number range: no other till can issue it."""
        node = self.store.get_meta("card_node")
        if node is None:
            raise LookupError("this till is not paired")
        serial = self.store.next_serial()
        op = Enroll(
            card_number=make_card_number(int(node), serial),
            customer=CustomerDetails(email=email, name=name, phone=phone),
        )
        return self.perform(op, staff_pin_id)

    def _offline_limits(self, op: RedeemPoints | RedeemStamps, now: datetime) -> Rejected | None:
        """The merchant's floor limits while offline (the server checks them again)."""
        limits = self.store.get_meta("settings") or {}
        age = self.snapshot_age_s()
        max_age = int(limits.get("offline_max_cache_age_minutes", 0)) * 60
        if age is None or age > max_age:
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="cache_age", snapshot_age_s=age)
        # From the snapshot itself, not now - age: the age travels in whole seconds, and a
        # window up to a second short let the till miss a redemption the server counts.
        since = self.snapshot_taken_at() or now - timedelta(seconds=age)
        earlier = [
            e
            for e in self.store.entries(status=None, card_number=op.card_number)
            if e.offline
            and e.client_time >= since
            and isinstance(e.op, RedeemPoints | RedeemStamps)
        ]
        if len(earlier) + 1 > int(limits.get("offline_max_redemptions_per_card", 0)):
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="count", allowed=len(earlier))
        rules = self.context_at(now).program
        points = sum(_points(rules, e.op) for e in earlier) + _points(rules, op)
        if points > int(limits.get("offline_max_points_per_card", 0)):
            return reject(Reason.OFFLINE_LIMIT_EXCEEDED, limit="points", allowed=points)
        return None


_WAITS_FOR_SERVER = (RedeemPoints, RedeemStamps, VoidPoints, VoidStamps)


def _reason(code: object) -> Reason:
    try:
        return Reason(str(code))
    except ValueError:
        return Reason.OPERATION_NOT_ALLOWED


def _points(rules: ProgramRules, op: Operation | AttentionOperation) -> int:
    if isinstance(op, RedeemPoints):
        reward = rules.reward(op.reward_id)
        return reward.points_required if reward else 0
    return 0
