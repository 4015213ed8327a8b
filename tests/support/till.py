"""A bare-bones till speaking the sync protocol over HTTP: enough to drive the server
in tests. (The real terminal engine lives in desktop/; this is its protocol only.)"""

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from common.card_number import make_card_number


class HttpClient(Protocol):
    def post(self, url: str, **kwargs: Any) -> Any: ...
    def get(self, url: str, **kwargs: Any) -> Any: ...


@dataclass
class Till:
    client: HttpClient
    terminal_id: int
    token: str
    card_node: int
    store_id: int
    clock_skew: timedelta = timedelta(0)
    seq: int = 0
    serial: int = 0
    cursor: str | None = None
    state: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_skew

    def op(
        self,
        body: dict[str, Any],
        *,
        staff_pin_id: int | None = None,
        offline: bool = False,
        snapshot_age_s: int | None = None,
        client_time: datetime | None = None,
    ) -> dict[str, Any]:
        self.seq += 1
        return {
            "op_id": str(uuid.uuid4()),
            "seq": self.seq,
            "staff_pin_id": staff_pin_id,
            "client_time": (client_time or self.now()).isoformat(),
            "offline": offline,
            "snapshot_age_s": snapshot_age_s,
            "body": body,
        }

    def new_card_number(self) -> str:
        self.serial += 1
        return make_card_number(self.card_node, self.serial)

    def push(
        self, ops: list[dict[str, Any]], pin_failures: list[dict[str, Any]] | None = None
    ) -> Any:
        return self.client.post(
            "/api/v1/sync/push",
            json={
                "sent_at": self.now().isoformat(),
                "ops": ops,
                "pin_failures": pin_failures or [],
            },
            headers=self.headers,
        )

    def pull_all(
        self, limit: int = 1000, seconds: float = 20.0, settle: bool = True
    ) -> list[dict[str, Any]]:
        """Pull until has_more is false (and, with ``settle``, until the server says it
        is caught up), folding changes into ``state`` by entity key."""
        pages: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while True:
            params: dict[str, Any] = {"limit": limit}
            if self.cursor:
                params["cursor"] = self.cursor
            response = self.client.get("/api/v1/sync/pull", params=params, headers=self.headers)
            assert response.status_code == 200, response.text
            page = response.json()
            if page["reset"]:
                self.state.clear()
            for entity, rows in page["changes"].items():
                bucket = self.state.setdefault(entity, {})
                for row in rows:
                    bucket[str(row.get("id", row.get("op_id")))] = row
            pages.append(page)
            self.cursor = page["cursor"]
            settled = page["caught_up"] or not settle or time.monotonic() > deadline
            if not page["has_more"] and settled:
                return pages
            if not page["has_more"]:
                time.sleep(0.02)


def pair(client: HttpClient, owner_headers: dict[str, str], name: str = "Till") -> Till:
    code = client.post("/api/v1/terminals/pairing-codes", headers=owner_headers)
    assert code.status_code == 201, code.text
    paired = client.post("/api/v1/sync/pair", json={"code": code.json()["code"], "name": name})
    assert paired.status_code == 200, paired.text
    body = paired.json()
    return Till(
        client=client,
        terminal_id=body["terminal_id"],
        token=body["device_token"],
        card_node=body["card_node"],
        store_id=body["store_id"],
    )
