"""/health says the process answers; /health/ready that the database answers and its
schema fits this code, else 503 with a stable code."""

import sqlite3
import uuid

import httpx
import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient

from common import protocol
from common.version import VERSION
from sync_server.config import Settings
from sync_server.main import create_app
from sync_server.migrate import alembic_config, upgrade
from tests.dbs import database_url
from tests.deploy.serve import free_port, server_env, serving


def _probe(url: str) -> tuple[httpx.Response, httpx.Response]:
    app = create_app(Settings(database_url=url))
    try:
        with TestClient(app) as client:
            return client.get("/health"), client.get("/health/ready")
    finally:
        app.state.engine.dispose()


def test_a_migrated_database_is_ready(client):
    assert client.get("/health").json() == {
        "status": "ok",
        "version": VERSION,
        "protocol_oldest": protocol.OLDEST,
        "protocol_newest": protocol.NEWEST,
    }
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_an_empty_database_is_not_ready(tmp_path):
    live, ready = _probe(f"sqlite:///{tmp_path / 'empty.db'}")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["code"] == "SCHEMA_NOT_MIGRATED"


def test_a_schema_behind_the_code_is_not_ready(tmp_path):
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    (base,) = scripts.get_bases()
    (head,) = scripts.get_heads()
    assert base != head  # 0001 and 0002 (the ledger chain) exist for good
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, base)

    _, ready = _probe(url)

    assert ready.status_code == 503
    body = ready.json()
    assert body["code"] == "SCHEMA_OUTDATED"
    assert body["detail"] == {"schema": [base], "code_expects": [head]}


def test_a_schema_ahead_of_the_code_stays_ready(tmp_path, sqlite_templates):
    """A rolling deploy migrates first; the old instances must keep serving."""
    url = sqlite_templates.fresh(tmp_path / "ahead.db")
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE alembic_version SET version_num = 'from_a_newer_release'")

    _, ready = _probe(url)

    assert ready.status_code == 200


def test_a_closed_database_port_is_not_ready():
    live, ready = _probe(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/loyalty")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["code"] == "DATABASE_UNAVAILABLE"


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_not_ready():
    _, ready = _probe(database_url(f"serverops_missing_{uuid.uuid4().hex[:8]}"))

    assert ready.status_code == 503
    assert ready.json()["code"] == "DATABASE_UNAVAILABLE"


@pytest.mark.slow
def test_a_real_server_is_alive_but_not_ready_while_its_database_is_down(tmp_path):
    port = free_port()
    env = server_env(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/loyalty", port)

    with serving(["loyalty-server", "serve"], env, port, tmp_path / "log", probe="/health") as s:
        ready = httpx.get(f"{s.url}/health/ready", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["code"] == "DATABASE_UNAVAILABLE"
        assert s.terminate() == 0
