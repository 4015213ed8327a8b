"""Everything the card screen shows, computed once by the engine so the widget only
renders: who, balances, what can be taken now, and why a stamp would be refused."""

from dataclasses import dataclass
from datetime import datetime

from common.card import CardState
from common.program import ProgramRules, Reward
from common.rules import RuleContext
from common.rules.stamps import StampAvailability, stamp_availability
from desktop.engine.lookup import CardMatch


@dataclass(frozen=True, slots=True)
class CardView:
    card_number: str
    name: str | None  # what the till keeps of the holder: see lookup.CardMatch
    email_hint: str | None
    card: CardState
    program: ProgramRules
    stamps: StampAvailability
    rewards_now: tuple[Reward, ...]
    can_redeem_stamps: bool
    pending_ops: int
    made_here_unsynced: bool
    now: datetime

    @property
    def display_name(self) -> str:
        return self.name or self.email_hint or "Card holder"


def card_view(
    match: CardMatch, ctx: RuleContext, pending_ops: int, made_here_unsynced: bool
) -> CardView:
    rules, card = ctx.program, match.card
    return CardView(
        card_number=match.card_number,
        name=match.name,
        email_hint=match.email_hint,
        card=card,
        program=rules,
        stamps=stamp_availability(ctx, card),
        rewards_now=rules.available_rewards(card.points_balance) if card.is_active else (),
        can_redeem_stamps=card.is_active and card.stamp_count >= rules.stamps_target,
        pending_ops=pending_ops,
        made_here_unsynced=made_here_unsynced,
        now=ctx.now,
    )
