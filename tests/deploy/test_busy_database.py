"""A database that cannot take one more request gets a verdict a till retries (503 with
a stable code and Retry-After), never a 500: a burst of 200 first syncs on one worker
ran its connection pool dry and answered 500s."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from sync_server.db import make_engine, make_session_factory
from tests.support.shop import make_shop

PROGRAM = "/api/v1/store/loyalty/program"


def test_a_request_that_finds_no_free_connection_is_told_to_retry(
    app: FastAPI, client: TestClient, session_factory, db_url: str
) -> None:
    shop = make_shop(session_factory)
    tiny = make_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    app.state.session_factory = make_session_factory(tiny)
    try:
        with tiny.connect() as held:  # the pool's only connection, taken
            held.execute(text("SELECT 1"))
            busy = client.get(PROGRAM, headers=shop.owner_headers)
        free = client.get(PROGRAM, headers=shop.owner_headers)
    finally:
        tiny.dispose()

    assert busy.status_code == 503
    assert busy.json()["code"] == "SERVER_BUSY"
    assert busy.headers["Retry-After"] == "1"
    assert free.status_code == 200


def test_a_database_that_does_not_answer_is_a_503_not_a_500(
    app: FastAPI, client: TestClient, session_factory
) -> None:
    shop = make_shop(session_factory)
    gone = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    app.state.session_factory = make_session_factory(gone)
    try:
        response = client.get(PROGRAM, headers=shop.owner_headers)
    finally:
        gone.dispose()

    assert response.status_code == 503
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"
