"""A till pushing batches over real HTTP, and a timed run of several of them."""

import random
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx


@dataclass
class Pusher:
    """A till pushing online ``stamp.add`` / ``points.earn`` on random cards: the
    server's fast path, decided in memory."""

    base_url: str
    token: str
    pin_id: int
    cards: list[str]
    seed: int
    batch: int = 100
    reconciled: int = 0
    applied: int = 0
    rejected: int = 0
    errors: int = 0
    first_error: str = ""
    seq: int = 0
    latencies: list[float] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)

    def _ops(self, rng: random.Random) -> list[dict[str, Any]]:
        ops = []
        for _ in range(self.batch):
            self.seq += 1
            card = rng.choice(self.cards)
            body: dict[str, Any] = (
                {"type": "stamp.add", "card_number": card}
                if rng.random() < 0.5
                else {
                    "type": "points.earn",
                    "card_number": card,
                    "purchase_amount_cents": rng.randint(100, 6000),
                }
            )
            ops.append(self._op(body))
        return ops

    def _op(self, body: dict[str, Any], offline: bool = False) -> dict[str, Any]:
        return {
            "op_id": str(uuid.uuid4()),
            "seq": self.seq,
            "staff_pin_id": self.pin_id,
            "client_time": datetime.now(UTC).isoformat(),
            "offline": offline,
            "snapshot_age_s": 30 if offline else None,
            "body": body,
        }

    def _learn(self, ops: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        """What a till keeps from the answers (nothing, on the fast path)."""

    def _failed(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what

    def run(self, start: threading.Barrier, deadline: list[float]) -> None:
        rng = random.Random(self.seed)
        with httpx.Client(
            base_url=self.base_url, timeout=60, headers={"Authorization": f"Bearer {self.token}"}
        ) as client:
            start.wait()
            while time.monotonic() < deadline[0]:
                ops = self._ops(rng)
                body = {"sent_at": datetime.now(UTC).isoformat(), "ops": ops, "pin_failures": []}
                began = time.monotonic()
                try:
                    response = client.post("/api/v1/sync/push", json=body)
                except httpx.HTTPError as exc:
                    self._failed(f"{type(exc).__name__}: {exc}")
                    continue
                if response.status_code != 200:
                    self._failed(f"HTTP {response.status_code}: {response.text[:300]}")
                    continue
                self.latencies.append(time.monotonic() - began)
                results = response.json()["results"]
                self._learn(ops, results)
                for result in results:
                    status = result["status"]
                    if status == "applied":
                        self.applied += 1
                    elif status == "rejected":
                        self.rejected += 1
                        code = str(result.get("code"))
                        self.codes[code] = self.codes.get(code, 0) + 1
                    else:
                        continue
                    self.reconciled += 1


def summed(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counts:
        for key, value in one.items():
            total[key] = total.get(key, 0) + value
    return total


class PushFailed(RuntimeError):
    """A push the server did not answer with 200: the figure would be meaningless."""


def push_run(pushers: Sequence[Pusher], seconds: float) -> dict[str, Any]:
    """Tills push until ``seconds`` have passed; batches in flight then are finished and
    counted, and the clock stops when the last answer is back. Any failed push fails
    the run with the first failure (a load figure over 500s measures nothing)."""
    barrier = threading.Barrier(len(pushers) + 1)
    deadline = [float("inf")]
    threads = [threading.Thread(target=p.run, args=(barrier, deadline)) for p in pushers]
    for t in threads:
        t.start()
    started = time.monotonic()
    deadline[0] = started + seconds
    try:
        barrier.wait()
        for t in threads:
            t.join()
    finally:
        deadline[0] = 0.0  # a run cut short (its deadline passed): the tills stop too
    elapsed = time.monotonic() - started
    errors = sum(p.errors for p in pushers)
    if errors:
        first = next(p.first_error for p in pushers if p.errors)
        raise PushFailed(f"{errors} pushes failed; the first of a till: {first}")
    reconciled = sum(p.reconciled for p in pushers)
    lat = sorted(x for p in pushers for x in p.latencies)
    return {
        "ops_per_s": round(reconciled / elapsed, 1),
        "reconciled": reconciled,
        "applied": sum(p.applied for p in pushers),
        "rejected": sum(p.rejected for p in pushers),
        "http_errors": errors,
        "batch_p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else 0.0,
        "reject_codes": summed([p.codes for p in pushers]),
    }
