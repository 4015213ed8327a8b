"""An app is freed once its last user lets go of it.

The suite makes one app per test (the ``app`` fixture); every app that stays alive keeps
its routes, schemas, engine and pools. Caught: ``/docs`` was served by closures over the
app, and FastAPI keeps every endpoint function it has seen in process-wide caches
(``fastapi.dependencies.models``, 4096 entries), so each app ever made stayed alive: the
test process grew ~150 MB a minute to ~5 GB and spent minutes in its final collection.
"""

import gc
import weakref

import pytest
from fastapi.testclient import TestClient

from sync_server.config import Settings
from sync_server.main import create_app


@pytest.fixture
def backend() -> str:
    """The app's lifetime, not the ledger, is under test."""
    return "sqlite"


def test_an_app_that_served_every_kind_of_route_is_freed_after_its_engine_is_disposed(
    db_url: str,
) -> None:
    app = create_app(Settings(database_url=db_url))
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 200
        assert client.get("/docs/oauth2-redirect").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/health").status_code == 200
        assert client.get("/api/v1/store/loyalty/cards").status_code == 401
    app.state.engine.dispose()
    freed = weakref.ref(app)
    del app, client

    gc.collect()

    assert freed() is None, [type(r).__qualname__ for r in gc.get_referrers(freed())]
