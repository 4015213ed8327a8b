"""Who may call what, read from the routes' own dependencies: a till (even with a valid
staff PIN in the body) never reaches a manager or owner endpoint, a store manager never
reaches an owner endpoint, people never push or pull, and nothing but login, pairing
and the health probes answers without a token."""

from sync_server.api.sync import require_terminal
from tests.security import routes
from tests.store_api.conftest import API, PIN
from tests.support.open_routes import WALLET_OPEN
from tests.support.till import pair

OPEN = WALLET_OPEN | {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/sync/pair"),
    ("GET", "/health"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),  # answers 401 itself once LOYALTY_METRICS_TOKEN is set
    ("GET", "/docs"),  # the API's documentation page, no data (sync_server/api/docs_page.py)
    ("GET", "/docs/oauth2-redirect"),
}

# The floor: the reference API's owner-only routes (adjust_points among them) and till
# management. The walker may find more, never fewer.
MUST_BE_OWNER_ONLY = {
    ("POST", f"{API}/program"),
    ("PUT", f"{API}/program"),
    ("DELETE", f"{API}/program"),
    ("PUT", f"{API}/settings"),
    ("POST", f"{API}/cards/1/points/adjust"),
    ("POST", "/api/v1/terminals/pairing-codes"),
    ("GET", "/api/v1/terminals"),
    ("POST", "/api/v1/terminals/1/revoke"),
    ("GET", "/api/v1/customers/1/export"),
    ("DELETE", "/api/v1/customers/1"),
}
MUST_NEED_A_PERSON = {
    ("GET", f"{API}/pins"),
    ("POST", f"{API}/pins"),
    ("PATCH", f"{API}/pins/1"),
    ("DELETE", f"{API}/pins/1"),
    ("POST", f"{API}/pins/1/unlock"),
}


def _refusals(client, operations, headers, body=None):
    return {
        (method, path): (r.status_code, r.json().get("code"))
        for method, path in operations
        if (r := client.request(method, path, json=body, headers=headers)).status_code != 403
        or r.json()["code"] != "FORBIDDEN"
    }


def test_the_gate_walker_sees_every_documented_operation(app):
    documented = {(m.upper(), p) for p, ms in app.openapi()["paths"].items() for m in ms}
    walked = {(m, p.replace(":int", "")) for m, p in routes.all_operations(app)}
    assert documented <= walked
    assert set(routes.owner_only(app)) >= MUST_BE_OWNER_ONLY
    assert set(routes.people_only(app)) >= MUST_NEED_A_PERSON


def test_only_login_pairing_and_probes_answer_without_a_token(app):
    assert set(routes.open_operations(app)) == OPEN


def test_a_till_with_a_valid_staff_pin_is_refused_on_every_manager_and_owner_endpoint(
    app, client, a
):
    till = pair(client, a.owner)
    gated = routes.owner_only(app) + routes.people_only(app)

    wrong = _refusals(client, gated, till.headers, {"staff_pin": PIN, "points_delta": 5})

    assert wrong == {}
    card = client.get(f"{API}/cards/{a.cards[0]['id']}", headers=a.owner).json()
    adjust = client.post(
        f"{API}/cards/{a.cards[0]['id']}/points/adjust",
        json={"points_delta": 500, "reason": "x", "staff_pin": PIN},
        headers=till.headers,
    )
    after = client.get(f"{API}/cards/{a.cards[0]['id']}", headers=a.owner).json()
    assert adjust.status_code == 403
    assert after["points_balance"] == card["points_balance"]


def test_a_store_manager_is_refused_on_every_owner_endpoint(app, client, a):
    assert _refusals(client, routes.owner_only(app), a.manager) == {}


def test_people_cannot_push_or_pull_as_a_till(app, client, a):
    sync_ops = routes.operations(app, require_terminal)
    # push, pull, the live feed's stream and held wait, the re-pull of buckets, and a
    # card's wallet link
    assert len(sync_ops) == 6
    for headers in (a.owner, a.manager):
        assert _refusals(client, sync_ops, headers) == {}
