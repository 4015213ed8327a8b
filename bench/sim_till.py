"""A simulated till: makes random operations, keeps them in an outbox, and pushes them
until each one has an outcome, retrying the same op ids through every fault."""

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from common.card_number import make_card_number


@dataclass
class SimTill:
    name: str
    base_url: str
    token: str
    node: int
    pin_id: int
    shared_cards: list[str]
    shared_emails: list[str]
    target: int
    seed: int
    skew: timedelta = timedelta(0)
    batch: int = 20
    outbox: list[dict[str, Any]] = field(default_factory=list)
    generated: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    retries: int = 0
    last_error: str = ""  # the last refusal, for a run that passes its deadline
    seq: int = 0
    serial: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.own_cards: list[str] = []
        self.refs: list[tuple[str, str]] = []  # (card, order reference) of earns made
        self.earn_ids: list[tuple[str, int]] = []  # (card, ledger id) learnt from outcomes

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skew

    def run(self, stop: threading.Event) -> None:
        with httpx.Client(
            base_url=self.base_url, timeout=10, headers={"Authorization": f"Bearer {self.token}"}
        ) as client:
            while not stop.is_set() and (len(self.generated) < self.target or self.outbox):
                if len(self.generated) < self.target:
                    for _ in range(self.rng.randint(1, 8)):
                        if len(self.generated) < self.target:
                            self._make_op()
                self._push(client)

    def _push(self, client: httpx.Client) -> None:
        batch = self.outbox[: self.batch]
        body = {"sent_at": self.now().isoformat(), "ops": batch, "pin_failures": []}
        try:
            response = client.post("/api/v1/sync/push", json=body)
        except httpx.HTTPError:
            response = None
        if response is None or response.status_code != 200:
            self.retries += 1
            self.last_error = (
                "no answer"
                if response is None
                else (f"{response.status_code} {response.text[:200]}")
            )
            time.sleep(self.rng.uniform(0.02, 0.2))
            return
        for result in response.json()["results"]:
            op_id = result["op_id"]
            if result["status"] == "duplicate":
                self.duplicates += 1
            first = self.outcomes.setdefault(op_id, result)
            if first["status"] == "duplicate":
                self.outcomes[op_id] = result
            if result["status"] != "rejected" and result.get("transaction_ids"):
                op = next(o for o in batch if o["op_id"] == op_id)
                if op["body"]["type"] == "points.earn":
                    self.earn_ids.append((op["body"]["card_number"], result["transaction_ids"][0]))
        done = {r["op_id"] for r in response.json()["results"]}
        self.outbox = [o for o in self.outbox if o["op_id"] not in done]

    def _card(self) -> str:
        pool = self.shared_cards + self.own_cards
        return self.rng.choice(pool)

    def _make_op(self) -> None:
        rng, card = self.rng, self._card()
        kind = rng.choices(
            [
                "stamp",
                "earn",
                "redeem",
                "stamp_redeem",
                "void_amount",
                "void_ref",
                "void_id",
                "stamp_void",
                "enroll",
                "deactivate",
                "reactivate",
            ],
            weights=[24, 30, 10, 4, 4, 4, 4, 3, 4, 1.5, 1.5],
        )[0]
        offline = False
        body: dict[str, Any]
        if kind == "stamp":
            body = {"type": "stamp.add", "card_number": card}
        elif kind == "earn":
            body = {
                "type": "points.earn",
                "card_number": card,
                "purchase_amount_cents": rng.randint(100, 6000),
            }
            if rng.random() < 0.6:
                ref = (
                    f"{self.name}-{len(self.refs)}"
                    if rng.random() < 0.9 or not self.refs
                    else rng.choice(self.refs)[1]
                )
                body["order_reference"] = ref
                self.refs.append((card, ref))
        elif kind == "redeem":
            body = {
                "type": "points.redeem",
                "card_number": card,
                "reward_id": rng.choice(["ten", "fifty"]),
            }
            offline = rng.random() < 0.3
        elif kind == "stamp_redeem":
            body = {"type": "stamp.redeem", "card_number": card}
        elif kind == "void_amount":
            body = {
                "type": "points.void",
                "card_number": card,
                "points_to_void": rng.randint(1, 20),
            }
        elif kind == "void_ref" and self.refs:
            card, ref = rng.choice(self.refs)
            body = {"type": "points.void", "card_number": card, "order_reference": ref}
        elif kind == "void_id" and self.earn_ids:
            card, entry_id = rng.choice(self.earn_ids)
            body = {"type": "points.void", "card_number": card, "original_transaction_id": entry_id}
        elif kind == "stamp_void":
            body = {"type": "stamp.void", "card_number": card, "stamps_to_void": 1}
        elif kind == "enroll":
            self.serial += 1
            number = make_card_number(self.node, self.serial)
            email = (
                rng.choice(self.shared_emails)
                if rng.random() < 0.2
                else f"{self.name}-{self.serial}@chaos.example"
            )
            body = {"type": "card.enroll", "card_number": number, "customer": {"email": email}}
            self.own_cards.append(number)
        elif kind == "deactivate":
            body = {"type": "card.deactivate", "card_number": card}
        elif kind == "reactivate":
            body = {"type": "card.reactivate", "card_number": card}
        else:
            body = {"type": "stamp.add", "card_number": card}
        self.seq += 1
        op = {
            "op_id": str(uuid.uuid4()),
            "seq": self.seq,
            "staff_pin_id": self.pin_id,
            "client_time": self.now().isoformat(),
            "offline": offline,
            "snapshot_age_s": 30 if offline else None,
            "body": body,
        }
        self.generated.append(op)
        self.outbox.append(op)
