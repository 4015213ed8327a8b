"""Schemathesis over the whole API (auth, store API, sync, terminals): whatever a client
sends, no 500 and no answer outside the OpenAPI document."""

import tempfile
from pathlib import Path

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from sync_server.config import Settings
from sync_server.main import create_app
from sync_server.migrate import upgrade
from tests.support.shop import make_shop
from tests.support.till import pair

EXAMPLES = 30


def _seeded_app() -> tuple[FastAPI, dict[str, dict[str, str]]]:
    """One SQLite database for the whole fuzz run, with a shop, cards and a paired till."""
    folder = Path(tempfile.mkdtemp(prefix="loyalty-fuzz-"))
    url = f"sqlite:///{folder / 'fuzz.db'}"
    upgrade(url)
    app = create_app(Settings(database_url=url))
    client = TestClient(app)
    shop = make_shop(app.state.session_factory)
    for i in range(3):
        client.post(
            "/api/v1/store/loyalty/cards/enroll",
            json={"email": f"f{i}@example.com"},
            headers=shop.owner_headers,
        )
    till = pair(client, shop.owner_headers)
    return app, {"owner": shop.owner_headers, "till": till.headers}


APP, HEADERS = _seeded_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


# The harness adds a valid token to every case, so schemathesis' own "invalid" cases that
# lack one (or the positive cases it expects to pass without business rules, like a random
# pairing code) are not meaningful here; every response check stays on.
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_500_or_an_undocumented_answer(case):
    who = "till" if case.path.startswith("/api/v1/sync") else "owner"
    case.call_and_validate(
        headers={**(case.headers or {}), **HEADERS[who]},
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
