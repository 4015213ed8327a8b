"""A fake sync server for the till's engine, served through ``httpx.MockTransport``:
it answers pull and push with whatever a test sets, well-formed or hostile, and a
well-formed pulled page to start from. No server process, so hypothesis can try
hundreds of answers a second."""

import copy
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from common.card_number import make_card_number
from desktop.engine.terminal import Terminal
from desktop.engine.tokens import MemoryTokens

KEY = bytes(range(32))
NUMBER = make_card_number(1_000_000, 9)
OTHER = make_card_number(1_000_000, 10)
ALIAS = make_card_number(1_000_007, 1)
PIN_ID = 5
SERVER_TIME = "2026-01-10T12:00:00+00:00"
CARD_COLUMNS = [
    "id",
    "card_number",
    "customer_id",
    "is_active",
    "stamp_count",
    "total_stamps_earned",
    "points_balance",
    "total_points_earned",
    "stamps_day",
    "stamps_on_day",
    "last_stamp_at",
    "last_activity_at",
]
PROGRAM = {
    "id": 1,
    "merchant_id": 1,
    "loyalty_type": "hybrid",
    "display_name": "Café",
    "stamps_target": 10,
    "stamps_reward_description": "Free coffee",
    "cooldown_minutes": 0,
    "max_daily_stamps": 100,
    "points_per_currency_unit": 1,
    "points_rewards": [{"id": "ten", "name": "Ten off", "points_required": 10, "is_active": True}],
    "welcome_bonus_points": 0,
    "require_staff_pin": False,
    "is_active": True,
    "is_stamps_enabled": True,
    "is_points_enabled": True,
    "created_at": SERVER_TIME,
    "updated_at": SERVER_TIME,
}
SETTINGS = {
    "pin_lockout_attempts": 5,
    "pin_lockout_minutes": 30,
    "offline_max_cache_age_minutes": 1440,
    "offline_max_redemptions_per_card": 2,
    "offline_max_points_per_card": 500,
    "offline_overspend_allowed": True,
    "staff_session_minutes": 0,
    "history_days": 90,
    "currency": "EUR",
}


def valid_page(cursor: str = "c1", has_more: bool = False) -> dict[str, Any]:
    """A page as the server sends it (``format=columns``), two cards, one overspent;
    a fresh copy each time, so a test may mutate it."""
    return copy.deepcopy(
        {
            "server_time": SERVER_TIME,
            "cursor": cursor,
            "has_more": has_more,
            "reset": False,
            "caught_up": True,
            "program": dict(PROGRAM),
            "store": {"id": 1, "name": "Centre", "timezone": "Europe/Paris"},
            "qr_key": KEY.hex(),
            "settings": dict(SETTINGS),
            "tables": {
                "customers": _table(
                    ["id", "email", "name", "phone"],
                    [[1, "ann@x.example", "Ann", None], [2, "bo@x.example", None, "+33 1"]],
                ),
                "cards": _table(
                    CARD_COLUMNS,
                    [
                        [
                            1,
                            NUMBER,
                            1,
                            True,
                            3,
                            3,
                            40,
                            40,
                            "2026-01-10",
                            1,
                            SERVER_TIME,
                            SERVER_TIME,
                        ],
                        [2, OTHER, 2, True, 0, 0, -25, 0, None, 0, None, None],  # an overspend
                    ],
                ),
                "aliases": _table(["card_number", "card_id"], [[ALIAS, 1]]),
                "transactions": _table(
                    [
                        "id",
                        "card_id",
                        "type",
                        "stamps_delta",
                        "points_delta",
                        "order_reference",
                        "related_transaction_id",
                        "reward_id",
                        "created_at",
                    ],
                    [[77, 1, "STAMP_EARNED", 1, 0, None, None, None, SERVER_TIME]],
                ),
                "staff_pins": _table(
                    [
                        *("id", "name", "staff_id", "pin_hash", "is_active"),
                        *("failed_attempts", "locked_until", "deleted"),
                    ],
                    [
                        [
                            PIN_ID,
                            "Bo",
                            None,
                            "$argon2id$v=19$m=8,t=1,p=1$AAAA$AAAA",
                            True,
                            0,
                            None,
                            False,
                        ]
                    ],
                ),
                "op_outcomes": _table(["op_id", "status"], []),
            },
        }
    )


def _table(columns: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {"columns": columns, "rows": rows}


Answer = Callable[[httpx.Request], httpx.Response]


def json_answer(body: Any, status: int = 200) -> httpx.Response:
    """JSON as a lenient encoder writes it: NaN, Infinity and lone surrogates as such."""
    return httpx.Response(status, content=json.dumps(body).encode())


def all_applied(request: httpx.Request) -> httpx.Response:
    """What a healthy server answers a push whose ops all apply."""
    ops = json.loads(request.content)["ops"]
    results = [{"op_id": o["op_id"], "seq": o["seq"], "status": "applied"} for o in ops]
    return json_answer({"server_time": SERVER_TIME, "results": results, "pin_failures": []})


@dataclass
class FakeServer:
    """Answers ``/pull`` and ``/push`` with the functions set on it (each gets the
    request); records what the till pushed."""

    pull: Answer = field(default=lambda _: json_answer(valid_page()))
    push: Answer = all_applied
    pushed: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/sync/pull":
            return self.pull(request)
        if request.url.path == "/api/v1/sync/push":
            self.pushed.append(json.loads(request.content))
            return self.push(request)
        return httpx.Response(404, json={"code": "NOT_FOUND", "message": "Not found."})


@contextmanager
def seeded_till() -> Iterator[tuple[Terminal, FakeServer]]:
    """A paired till (loopback address, token in memory) that has pulled ``valid_page``."""
    server = FakeServer()
    with tempfile.TemporaryDirectory() as tmp:
        tokens = MemoryTokens()
        tokens.set("device-token")
        terminal = Terminal(Path(tmp), tokens=tokens, transport=httpx.MockTransport(server.handle))
        with terminal.store.transaction() as conn:
            for key, value in (("base_url", "http://127.0.0.1:9"), ("card_node", 1_000_001)):
                terminal.store.set_meta(conn, key, value)
        assert terminal.client.sync_once().online, terminal.client.state
        try:
            yield terminal, server
        finally:
            terminal.close()


def snapshot(terminal: Terminal) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the till holds, outbox and meta included."""
    tables = ["meta", "cards", "customers", "aliases", "transactions", "staff_pins", "outbox"]
    with terminal.store.engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}")))) for t in tables}
