"""What a card's wallet pass shows, decided once for Apple and Google.

The pass shows the server's reconciled balance, never a till's; its barcode carries the
card's signed QR payload (common/qr.py) and never a balance, so a stale pass can show an
old number but cannot make a till believe one.
"""

import hashlib
import json
from dataclasses import asdict, dataclass

from common.card import CardState
from common.program import ProgramRules


@dataclass(frozen=True, slots=True)
class PassContent:
    serial_number: str
    program_name: str
    card_number: str
    barcode_message: str
    is_active: bool
    # None where the program has no stamps (points-only) or no points (stamps-only).
    stamps: int | None
    stamps_target: int | None
    points: int | None
    # "Free coffee in 3 stamps", "Cake at 120 points", or None when nothing is ahead.
    next_reward: str | None

    def state_digest(self) -> str:
        """Changes exactly when something the pass shows changes: the worker compares it
        with the digest last rendered to decide that a pass is updated."""
        text = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def pass_content(
    *,
    serial_number: str,
    program_name: str,
    rules: ProgramRules,
    card: CardState,
    barcode_message: str,
) -> PassContent:
    stamps_on = rules.is_stamps_enabled
    points_on = rules.is_points_enabled
    return PassContent(
        serial_number=serial_number,
        program_name=program_name,
        card_number=card.card_number,
        barcode_message=barcode_message,
        is_active=card.is_active,
        stamps=card.stamp_count if stamps_on else None,
        stamps_target=rules.stamps_target if stamps_on else None,
        points=card.points_balance if points_on else None,
        next_reward=next_reward(rules, card),
    )


def next_reward(rules: ProgramRules, card: CardState) -> str | None:
    """The nearest reward: the stamp reward when stamps are on, else the cheapest active
    points reward not yet affordable, or, when every one is, the largest ("ready")."""
    if rules.is_stamps_enabled:
        missing = rules.stamps_target - card.stamp_count
        if missing <= 0:
            return f"{rules.stamps_reward_description}: ready"
        unit = "stamp" if missing == 1 else "stamps"
        return f"{rules.stamps_reward_description} in {missing} {unit}"
    if rules.is_points_enabled:
        active = sorted(
            (r for r in rules.points_rewards if r.is_active), key=lambda r: r.points_required
        )
        ahead = [r for r in active if r.points_required > card.points_balance]
        if ahead:
            return f"{ahead[0].name} at {ahead[0].points_required} points"
        if active:
            return f"{active[-1].name}: ready"
    return None
