"""Authentication on every endpoint, and what each role may do."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from sync_server.models import ApiToken
from tests.store_api.conftest import API, PIN
from tests.support.open_routes import WALLET_OPEN
from tests.support.till import pair

# The open set is pinned by tests/security/test_role_gates.py.
PUBLIC = WALLET_OPEN | {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/sync/pair"),
    ("GET", "/health"),
    ("GET", "/health/ready"),
}


def _protected_operations(app):
    for path, methods in app.openapi()["paths"].items():
        for method in methods:
            if (method.upper(), path) not in PUBLIC:
                # Every path parameter is an id: 1 (a route added tomorrow included).
                yield method.upper(), re.sub(r"\{[^}]+\}", "1", path)


def _expired_and_logged_out(client, session_factory, a):
    login = client.post(
        "/api/v1/auth/login", json={"email": "owner@a.example", "password": "pw-owner"}
    )
    logged_out = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=logged_out).status_code == 204
    login = client.post(
        "/api/v1/auth/login", json={"email": "owner@a.example", "password": "pw-owner"}
    )
    expired = {"Authorization": f"Bearer {login.json()['access_token']}"}
    with session_factory() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.revoked_at.is_(None))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    return logged_out, expired


def test_every_protected_endpoint_answers_401_without_a_live_token(app, client, session_factory, a):
    logged_out, expired = _expired_and_logged_out(client, session_factory, a)
    variants = {
        "none": {},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "logged out": logged_out,
        "expired": expired,
    }
    operations = list(_protected_operations(app))
    assert len(operations) >= 30

    wrong = [
        (name, method, path, response.status_code)
        for name, headers in variants.items()
        for method, path in operations
        if (response := client.request(method, path, headers=headers)).status_code != 401
        or response.json()["code"] != "UNAUTHORIZED"
    ]
    assert wrong == []


def test_login_refuses_a_wrong_password_and_a_foreign_store(client, a, b):
    wrong = client.post("/api/v1/auth/login", json={"email": "owner@a.example", "password": "nope"})
    foreign = client.post(
        "/api/v1/auth/login",
        json={"email": "owner@a.example", "password": "pw-owner", "store_id": b.stores[0]},
    )
    manager_elsewhere = client.post(
        "/api/v1/auth/login",
        json={"email": "manager@a.example", "password": "pw-manager", "store_id": a.stores[1]},
    )
    for response in (wrong, foreign, manager_elsewhere):
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHORIZED"
    me = client.post(
        "/api/v1/auth/login",
        json={"email": "OWNER@a.example", "password": "pw-owner", "store_id": a.stores[1]},
    )
    assert me.json()["store_id"] == a.stores[1]
    assert me.json()["role"] == "merchant_owner"


OWNER_ONLY = [
    ("POST", f"{API}/program", {"display_name": "X"}),
    ("PUT", f"{API}/program", {"display_name": "X"}),
    ("DELETE", f"{API}/program", None),
    ("PUT", f"{API}/settings", {"pin_lockout_attempts": 3}),
    (
        "POST",
        f"{API}/cards/{{card}}/points/adjust",
        {"points_delta": 10, "reason": "goodwill", "staff_pin": PIN},
    ),
    ("POST", "/api/v1/terminals/pairing-codes", None),
    ("GET", "/api/v1/terminals", None),
    ("POST", "/api/v1/terminals/{terminal}/revoke", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), OWNER_ONLY, ids=[f"{m} {p}" for m, p, _ in OWNER_ONLY]
)
def test_owner_only_endpoints_refuse_a_manager_and_a_till(client, a, method, path, body):
    till = pair(client, a.owner)
    path = path.format(card=a.cards[0]["id"], terminal=till.terminal_id)
    for headers in (a.manager, till.headers):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (headers is a.manager, response.text)
        assert response.json()["code"] == "FORBIDDEN"


def test_a_till_cannot_manage_staff_pins(client, a):
    till = pair(client, a.owner)
    for method, path, body in [
        ("GET", f"{API}/pins", None),
        ("POST", f"{API}/pins", {"name": "X", "pin": "9999"}),
        ("PATCH", f"{API}/pins/{a.pins[0]}", {"name": "X"}),
        ("DELETE", f"{API}/pins/{a.pins[0]}", None),
        ("POST", f"{API}/pins/{a.pins[0]}/unlock", None),
    ]:
        assert client.request(method, path, json=body, headers=till.headers).status_code == 403


def test_the_owner_adjusts_points_and_a_manager_may_not(client, a):
    card = a.cards[0]["id"]
    body = {"points_delta": 100000, "reason": "goodwill"}
    ok = client.post(f"{API}/cards/{card}/points/adjust", json=body, headers=a.owner)
    down = client.post(
        f"{API}/cards/{card}/points/adjust", json={**body, "points_delta": -100000}, headers=a.owner
    )
    too_big = client.post(
        f"{API}/cards/{card}/points/adjust", json={**body, "points_delta": 100001}, headers=a.owner
    )
    no_reason = client.post(
        f"{API}/cards/{card}/points/adjust", json={"points_delta": 5}, headers=a.owner
    )

    assert ok.status_code == 200
    assert ok.json()["points_balance"] == 100000 + 50
    assert down.json()["points_balance"] == 50
    assert too_big.status_code == 422
    assert too_big.json()["code"] == "VALIDATION_ERROR"
    assert no_reason.status_code == 422
