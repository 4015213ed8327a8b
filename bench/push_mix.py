"""The realistic push workload: what a till sends over a day, not only the online
stamps and earns the server decides in memory. Per 100 ops (``MIX``): enrollments,
stamps, earns (half with an order reference), stamp and points redemptions online and
offline, voids of this till's earlier earns and stamps (by entry id or order
reference), a deactivation and a reactivation. Enrollments, offline redemptions, voids
and (de)activations take the server's slower ORM path.

Redemptions are made on cards that hold the reward (each card redeemed once), voids
on what this till earned or stamped before, so refusals stay rare and the figure is
the cost of applying, not of refusing.
"""

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from bench.pusher import Pusher
from common.card_number import make_card_number

MIX: tuple[tuple[str, int], ...] = (
    ("enroll", 5),
    ("stamp", 40),
    ("earn", 34),
    ("stamp_redeem", 3),
    ("stamp_redeem_offline", 2),
    ("points_redeem", 5),
    ("points_redeem_offline", 3),
    ("points_void", 4),
    ("stamp_void", 2),
    ("deactivate", 1),
    ("reactivate", 1),
)
assert sum(n for _, n in MIX) == 100

MIX_TEXT = (
    "per 100 ops: 5 enrollments, 40 stamps, 34 earns (half with an order reference), "
    "5 stamp redemptions (2 offline), 8 points redemptions (3 offline), 4 points voids "
    "(by entry id or order reference) and 2 stamp voids of the till's earlier ops, "
    "1 deactivation and 1 reactivation"
)


@dataclass
class Pools:
    """Cards holding a reward, shared by every till of a run; each is redeemed once."""

    stamps: list[str]
    points: list[str]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, which: str, rng: random.Random, fallback: list[str]) -> str:
        with self.lock:
            pool = self.stamps if which == "stamps" else self.points
            return pool.pop() if pool else rng.choice(fallback)


@dataclass
class MixPusher(Pusher):
    node: int = 0
    serial: int = 0
    pools: Pools = field(default_factory=lambda: Pools([], []))
    deck: list[str] = field(default_factory=list)
    earns: list[tuple[str, int]] = field(default_factory=list)  # (card, entry id)
    refs: list[tuple[str, str]] = field(default_factory=list)  # (card, order reference)
    stamped: list[tuple[str, int]] = field(default_factory=list)  # (card, entry id)
    deactivated: list[str] = field(default_factory=list)
    own: list[str] = field(default_factory=list)  # cards this till enrolled
    applied_kinds: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # op id: its kind, until answered

    def _ops(self, rng: random.Random) -> list[dict[str, Any]]:
        ops = []
        for _ in range(self.batch):
            kind = self._draw(rng)
            body, offline = self._body(kind, rng)
            self.seq += 1
            op = self._op(body, offline=offline)
            self.kinds[op["op_id"]] = kind
            ops.append(op)
        return ops

    def _draw(self, rng: random.Random) -> str:
        """The next kind from a shuffled deck of ``MIX`` (exact per 100 ops); a
        deactivation comes before the reactivation of its deck."""
        if not self.deck:
            deck = [kind for kind, n in MIX for _ in range(n)]
            rng.shuffle(deck)
            off, on = deck.index("deactivate"), deck.index("reactivate")
            if on < off:
                deck[off], deck[on] = deck[on], deck[off]
            self.deck = deck[::-1]
        return self.deck.pop()

    def _card(self, rng: random.Random) -> str:
        if self.own and rng.random() < 0.05:
            return rng.choice(self.own)
        return rng.choice(self.cards)

    def _body(self, kind: str, rng: random.Random) -> tuple[dict[str, Any], bool]:
        offline = kind.endswith("_offline")
        if kind == "enroll":
            self.serial += 1
            number = make_card_number(self.node, self.serial)
            customer = {"email": f"mix-{self.node}-{self.serial}@bench.example"}
            return {"type": "card.enroll", "card_number": number, "customer": customer}, False
        if kind.startswith("stamp_redeem"):
            card = self.pools.take("stamps", rng, self.cards)
            return {"type": "stamp.redeem", "card_number": card}, offline
        if kind.startswith("points_redeem"):
            card = self.pools.take("points", rng, self.cards)
            return {"type": "points.redeem", "card_number": card, "reward_id": "fifty"}, offline
        if kind == "points_void" and self.refs and rng.random() < 0.5:
            card, ref = self.refs.pop(rng.randrange(len(self.refs)))
            return {"type": "points.void", "card_number": card, "order_reference": ref}, False
        if kind == "points_void" and self.earns:
            card, entry = self.earns.pop(rng.randrange(len(self.earns)))
            return {
                "type": "points.void",
                "card_number": card,
                "original_transaction_id": entry,
            }, False
        if kind == "points_void":  # nothing earned yet: a point of a card that holds many
            card = self.pools.take("points", rng, self.cards)
            return {"type": "points.void", "card_number": card, "points_to_void": 1}, False
        if kind == "stamp_void" and self.stamped:
            card, entry = self.stamped.pop(rng.randrange(len(self.stamped)))
            return {
                "type": "stamp.void",
                "card_number": card,
                "original_transaction_id": entry,
            }, False
        if kind == "stamp_void":
            card = self.pools.take("stamps", rng, self.cards)
            return {"type": "stamp.void", "card_number": card, "stamps_to_void": 1}, False
        if kind == "deactivate":
            card = self._card(rng)
            self.deactivated.append(card)
            return {"type": "card.deactivate", "card_number": card}, False
        if kind == "reactivate" and self.deactivated:
            return {"type": "card.reactivate", "card_number": self.deactivated.pop()}, False
        if kind == "earn":
            body: dict[str, Any] = {
                "type": "points.earn",
                "card_number": self._card(rng),
                "purchase_amount_cents": rng.randint(100, 6000),
            }
            if rng.random() < 0.5:
                body["order_reference"] = f"mix-{self.node}-{self.seq}"
            return body, False
        return {"type": "stamp.add", "card_number": self._card(rng)}, False

    def _learn(self, ops: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        """What the server applied: earns and stamps to void later, enrolled cards."""
        sent = {op["op_id"]: op for op in ops}
        for result in results:
            op = sent.get(result["op_id"])
            kind = self.kinds.pop(result["op_id"], "?")
            if op is None or result["status"] != "applied":
                continue
            body, ids = op["body"], result.get("transaction_ids") or []
            self.applied_kinds[kind] = self.applied_kinds.get(kind, 0) + 1
            if body["type"] == "points.earn" and ids:
                if "order_reference" in body:
                    self.refs.append((body["card_number"], body["order_reference"]))
                else:
                    self.earns.append((body["card_number"], ids[0]))
            elif body["type"] == "stamp.add" and ids:
                self.stamped.append((body["card_number"], ids[0]))
            elif body["type"] == "card.enroll":
                self.own.append(body["card_number"])
