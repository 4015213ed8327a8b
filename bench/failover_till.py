"""A simulated till that pulls as well as pushes (bench/sim_till.py makes and pushes its
ops), keeps what it pulled as a till keeps its cache, and notes when each error and each
`applied` reached it: the failover run's recovery time and till-visible errors."""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.sim_till import SimTill

PULL_EVERY = 3  # pushes between two pulls


class _NotingTransport(httpx.HTTPTransport):
    """Notes every failed request (no answer, or a status other than 200)."""

    def __init__(self, errors: list[tuple[float, str]]) -> None:
        super().__init__()
        self.errors = errors

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = super().handle_request(request)
        except httpx.HTTPError as exc:
            self.errors.append((time.monotonic(), f"{request.url.path} {type(exc).__name__}"))
            raise
        if response.status_code != 200:
            self.errors.append((time.monotonic(), f"{request.url.path} {response.status_code}"))
        return response


@dataclass
class PullingTill(SimTill):
    errors: list[tuple[float, str]] = field(default_factory=list)
    applied_at: list[tuple[float, float]] = field(default_factory=list)  # (sent, answered)
    cursor: str | None = None
    pulled: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    pushes: int = 0

    def run(self, stop: threading.Event) -> None:
        with self._client() as client:
            while not stop.is_set() and (len(self.generated) < self.target or self.outbox):
                if len(self.generated) < self.target:
                    for _ in range(self.rng.randint(1, 8)):
                        if len(self.generated) < self.target:
                            self._make_op()
                known, sent = len(self.outcomes), time.monotonic()
                self._push(client)
                if any(o["status"] == "applied" for o in list(self.outcomes.values())[known:]):
                    self.applied_at.append((sent, time.monotonic()))
                self.pushes += 1
                if self.pushes % PULL_EVERY == 0:
                    self.pull_page(client)

    def catch_up(self, stop: threading.Event, pages: int = 200) -> bool:
        """Pull until the server says caught up (bounded in pages and by ``stop``)."""
        with self._client() as client:
            for _ in range(pages):
                if stop.is_set():
                    return False
                if self.pull_page(client):
                    return True
                time.sleep(0.05)
        return False

    def pull_page(self, client: httpx.Client) -> bool:
        """One page into the cache; True when it was the last and caught up."""
        params = {"limit": "500"} | ({"cursor": self.cursor} if self.cursor else {})
        try:
            response = client.get("/api/v1/sync/pull", params=params)
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        page = response.json()
        if page["reset"]:
            self.pulled.clear()
        for entity, rows in page["changes"].items():
            table = self.pulled.setdefault(entity, {})
            for row in rows:
                table[_key(entity, row)] = row
        self.cursor = page["cursor"]
        return bool(not page["has_more"] and page["caught_up"])

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            timeout=10,
            headers={"Authorization": f"Bearer {self.token}"},
            transport=_NotingTransport(self.errors),
        )


def _key(entity: str, row: dict[str, Any]) -> str:
    if entity == "cards" or entity == "aliases":
        return str(row["card_number"])
    if entity == "op_outcomes":
        return str(row["op_id"])
    return str(row["id"])
