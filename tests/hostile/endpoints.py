"""Every endpoint with a valid request to start from; the fuzz suite mutates one part of
it at a time (a body field, a query value, a path id) into something hostile."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.hostile.world import API, World, now_iso

Build = Callable[[World], Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # may hold {id}
    auth: str  # "owner", "till" or "none"
    body: Build | None = None
    query: Build | None = None
    path_id: Build | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def _card_action(**fields: Any) -> Build:
    def build(w: World) -> dict[str, Any]:
        return {"card_id": w.cards[0]["id"], "staff_pin": w.shop.pin, "notes": "n", **fields}

    return build


def _push(w: World) -> dict[str, Any]:
    till, card = w.till, w.cards[0]["card_number"]
    ops = [
        till.op({"type": "stamp.add", "card_number": card, "notes": "x"}, staff_pin_id=w.pin_id),
        till.op(
            {
                "type": "points.earn",
                "card_number": card,
                "purchase_amount_cents": 1234,
                "order_reference": w.next_ref(),
            },
            staff_pin_id=w.pin_id,
        ),
        till.op(
            {"type": "points.redeem", "card_number": card, "reward_id": "ten"},
            staff_pin_id=w.pin_id,
            offline=True,
            snapshot_age_s=5,
        ),
        till.op(
            {"type": "points.void", "card_number": card, "original_transaction_id": w.earn_id},
            staff_pin_id=w.pin_id,
        ),
        till.op(
            {
                "type": "card.enroll",
                "card_number": till.new_card_number(),
                "customer": {"email": f"{uuid.uuid4().hex[:8]}@example.com", "name": "N"},
            },
            staff_pin_id=w.pin_id,
        ),
    ]
    ops.append(
        till.op(
            {"type": "attention.acknowledge", "op_id": w.attention_op_id, "note": "seen"},
            staff_pin_id=w.pin_id,
        )
    )
    failure = {"event_id": str(uuid.uuid4()), "staff_pin_id": w.pin_id, "occurred_at": now_iso()}
    return {"sent_at": now_iso(), "ops": ops, "pin_failures": [failure]}


APPLE = "/wallet/apple/v1"

ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/health", "none"),
    Endpoint("GET", "/health/ready", "none"),
    Endpoint(
        "POST",
        f"{APPLE}/devices/{{id}}/registrations/{{id}}/{{id}}",
        "none",
        body=lambda w: {"pushToken": "ab" * 32},
        path_id=lambda w: "a1b2c3d4",
    ),
    Endpoint(
        "DELETE",
        f"{APPLE}/devices/{{id}}/registrations/{{id}}/{{id}}",
        "none",
        path_id=lambda w: "a1b2c3d4",
    ),
    Endpoint(
        "GET",
        f"{APPLE}/devices/{{id}}/registrations/{{id}}",
        "none",
        query=lambda w: {"passesUpdatedSince": "0"},
        path_id=lambda w: "a1b2c3d4",
    ),
    Endpoint("GET", f"{APPLE}/passes/{{id}}/{{id}}", "none", path_id=lambda w: "a1b2c3d4"),
    Endpoint("POST", f"{APPLE}/log", "none", body=lambda w: {"logs": ["Web service error"]}),
    Endpoint("GET", "/wallet/add/{id}", "none", path_id=lambda w: "not-a-link"),
    Endpoint("GET", "/wallet/add/{id}/pass.pkpass", "none", path_id=lambda w: "not-a-link"),
    Endpoint("GET", "/metrics", "none"),
    Endpoint(
        "POST",
        "/api/v1/auth/login",
        "none",
        body=lambda w: {"email": w.shop.owner_email, "password": "wrong", "store_id": 1},
    ),
    Endpoint("GET", "/api/v1/auth/me", "owner"),
    Endpoint(
        "GET",
        f"{API}/cards",
        "owner",
        query=lambda w: {
            "skip": 0,
            "limit": 5,
            "is_active": "true",
            "search": "h0",
            "enrolled_here": "false",
        },
    ),
    Endpoint("GET", f"{API}/cards/lookup", "owner", query=lambda w: {"q": "h1@example.com"}),
    Endpoint(
        "POST",
        f"{API}/cards/lookup",
        "owner",
        query=lambda w: {"qr_code": w.cards[0]["qr_code_data"]},
    ),
    Endpoint(
        "POST",
        f"{API}/cards/lookup",
        "owner",
        query=lambda w: {"card_number": w.cards[1]["card_number"]},
        extra={"variant": "number"},
    ),
    Endpoint("GET", f"{API}/cards/{{id}}", "owner", path_id=lambda w: w.cards[0]["id"]),
    Endpoint(
        "GET",
        f"{API}/cards/{{id}}/transactions",
        "owner",
        path_id=lambda w: w.cards[0]["id"],
        query=lambda w: {"skip": 0, "limit": 10},
    ),
    Endpoint(
        "GET",
        f"{API}/transactions",
        "owner",
        query=lambda w: {"skip": 1, "limit": 3, "this_store_only": "true"},
    ),
    Endpoint(
        "POST",
        f"{API}/cards/enroll",
        "owner",
        body=lambda w: {
            "email": f"{uuid.uuid4().hex[:8]}@example.com",
            "customer_name": "New",
            "customer_phone": "+33 1 23",
        },
    ),
    Endpoint("POST", f"{API}/stamp", "owner", body=_card_action()),
    Endpoint("POST", f"{API}/stamp/redeem", "owner", body=_card_action()),
    Endpoint("POST", f"{API}/stamp/void", "owner", body=_card_action(stamps_to_void=1)),
    Endpoint(
        "POST",
        f"{API}/points/earn",
        "owner",
        body=lambda w: _card_action(purchase_amount_cents=999, order_reference=w.next_ref())(w),
    ),
    Endpoint("POST", f"{API}/points/redeem", "owner", body=_card_action(reward_id="ten")),
    Endpoint(
        "POST",
        f"{API}/points/void",
        "owner",
        body=lambda w: _card_action(original_transaction_id=w.earn_id)(w),
    ),
    Endpoint(
        "POST",
        f"{API}/cards/{{id}}/points/adjust",
        "owner",
        path_id=lambda w: w.cards[2]["id"],
        body=lambda w: {"points_delta": 5, "reason": "goodwill", "staff_pin": w.shop.pin},
    ),
    Endpoint(
        "POST",
        f"{API}/cards/{{id}}/deactivate",
        "owner",
        path_id=lambda w: w.cards[2]["id"],
        body=lambda w: {"notes": "lost", "staff_pin": w.shop.pin},
    ),
    Endpoint(
        "POST",
        f"{API}/cards/{{id}}/reactivate",
        "owner",
        path_id=lambda w: w.cards[2]["id"],
        body=lambda w: {"notes": "found", "staff_pin": w.shop.pin},
    ),
    Endpoint("GET", f"{API}/pins", "owner"),
    Endpoint(
        "POST",
        f"{API}/pins",
        "owner",
        body=lambda w: {"name": "Kim", "pin": "13579", "staff_id": "S-1"},
    ),
    Endpoint(
        "PATCH",
        f"{API}/pins/{{id}}",
        "owner",
        path_id=lambda w: w.pin_id,
        body=lambda w: {"name": "Sam", "staff_id": "S-0", "is_active": True},
    ),
    Endpoint("DELETE", f"{API}/pins/{{id}}", "owner", path_id=lambda w: 10**6),
    Endpoint("POST", f"{API}/pins/{{id}}/unlock", "owner", path_id=lambda w: w.pin_id),
    Endpoint("GET", f"{API}/program", "owner"),
    Endpoint("GET", f"{API}/program/wallets", "owner"),
    Endpoint(
        "POST",
        f"{API}/program",
        "owner",
        body=lambda w: {"loyalty_type": "points", "display_name": "Again"},
    ),
    Endpoint(
        "PUT",
        f"{API}/program",
        "owner",
        body=lambda w: {
            "display_name": "Hostile Café",
            "points_per_currency_unit": 1,
            "points_rewards": [
                {"id": "ten", "name": "Ten", "points_required": 10, "is_active": True},
                {"id": "fifty", "name": "Fifty", "points_required": 50, "is_active": True},
            ],
        },
    ),
    Endpoint("DELETE", f"{API}/program", "owner", extra={"destructive": True}),
    Endpoint("GET", f"{API}/settings", "owner"),
    Endpoint(
        "PUT",
        f"{API}/settings",
        "owner",
        body=lambda w: {
            "pin_lockout_attempts": 5,
            "pin_lockout_minutes": 30,
            "staff_session_minutes": 15,
            "till_history_days": 90,
            "currency": "EUR",
            "erasure_cards": "close",
        },
    ),
    Endpoint("GET", f"{API}/stats", "owner"),
    Endpoint("GET", f"{API}/stats/merchant", "owner"),
    Endpoint("POST", "/api/v1/terminals/pairing-codes", "owner"),
    Endpoint("GET", "/api/v1/terminals", "owner"),
    Endpoint(
        "POST",
        "/api/v1/terminals/{id}/revoke",
        "owner",
        path_id=lambda w: 10**6,
    ),
    Endpoint(
        "POST",
        "/api/v1/terminals/{id}/move",
        "owner",
        body=lambda w: {"store_id": w.shop.store_ids[1]},
        path_id=lambda w: 10**6,
    ),
    Endpoint(
        "GET",
        "/api/v1/terminals/attention",
        "owner",
        query=lambda w: {"all_stores": "true", "include_acknowledged": "false"},
    ),
    Endpoint(
        "POST",
        "/api/v1/terminals/attention/{id}/acknowledge",
        "owner",
        path_id=lambda w: w.attention_id,
    ),
    # Dismissed under one resolution id per world: the same request again answers the same.
    Endpoint(
        "POST",
        "/api/v1/terminals/attention/{id}/resolve",
        "owner",
        body=lambda w: {
            "resolution_id": str(uuid.uuid5(uuid.NAMESPACE_URL, w.attention_op_id)),
            "action": "dismiss",
            "reason": "handed a coffee anyway",
        },
        path_id=lambda w: w.attention_id,
    ),
    Endpoint(
        "GET",
        "/api/v1/customers/{id}/export",
        "owner",
        path_id=lambda w: w.cards[0]["customer_id"],
    ),
    # The valid request erases cards[2]'s customer: its card then refuses as closed.
    Endpoint(
        "DELETE",
        "/api/v1/customers/{id}",
        "owner",
        path_id=lambda w: w.cards[2]["customer_id"],
    ),
    Endpoint(
        "POST", "/api/v1/sync/pair", "none", body=lambda w: {"code": "ABCDEFGHJK", "name": "T"}
    ),
    Endpoint("POST", "/api/v1/sync/push", "till", body=_push),
    Endpoint(
        "GET",
        "/api/v1/sync/cards/{id}/wallet-link",
        "till",
        path_id=lambda w: w.cards[0]["card_number"],
    ),
    Endpoint("GET", "/api/v1/sync/wait", "till", query=lambda w: {"timeout": "0"}),
    Endpoint(
        "GET",
        "/api/v1/sync/stream",
        "till",
        query=lambda w: {"heartbeat": "1", "cursor": w.till.cursor or ""},
    ),
    Endpoint(
        "GET",
        "/api/v1/sync/pull",
        "till",
        query=lambda w: {"limit": 50, "format": "objects", "cursor": w.till.cursor or ""},
    ),
    Endpoint(
        "GET", "/api/v1/sync/buckets", "till", query=lambda w: {"names": "cards:0,customers:3"}
    ),
    Endpoint("POST", "/api/v1/auth/logout", "owner", extra={"destructive": True}),
]
