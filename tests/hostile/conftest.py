"""One PostgreSQL database per module for the hostile suites: the fuzzers send
thousands of requests, each checked against the same seeded world."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sync_server.config import Settings
from sync_server.main import create_app
from tests.conftest import _require_pg
from tests.dbs import PgTemplates
from tests.hostile.world import World, build_world


@pytest.fixture(scope="module")
def hostile_world(_pg_available: bool, _pg_templates: PgTemplates) -> Iterator[World]:
    _require_pg(_pg_available)
    name, url = _pg_templates.fresh()
    # A till's stream ends at once: a TestClient reads a response to its end.
    app = create_app(Settings(database_url=url, stream_lifetime_s=0))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield build_world(client, app.state.session_factory)
    finally:
        app.state.engine.dispose()
        _pg_templates.drop(name)
