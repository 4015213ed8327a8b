"""Logs: one JSON object per line, a line per request with its id, and no secret ever."""

import json
import logging
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sync_server.db import make_engine, make_session_factory
from sync_server.observability.logs import JsonFormatter, PlainFormatter, RequestContext
from tests.deploy.serve import free_port, server_env, serving
from tests.support.shop import make_shop

API = "/api/v1/store/loyalty"
PASSWORD = "Pa55w0rd-never-log-me"
PIN = "86753091"
COOKIE = "cookie-never-log-me"
QUERY = "query-never-log-me"


@pytest.mark.slow
def test_requests_are_logged_with_their_id_and_without_secrets(tmp_path: Path, sqlite_templates):
    url = sqlite_templates.fresh(tmp_path / "logs.db")
    engine = make_engine(url)
    shop = make_shop(make_session_factory(engine))
    engine.dispose()
    port = free_port()
    env = server_env(url, port, LOYALTY_LOG_LEVEL="DEBUG", LOYALTY_LOG_FORMAT="json")
    owner = shop.owner_headers

    with serving(["loyalty-server", "serve"], env, port, tmp_path / "server.log") as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            login = http.post(
                "/api/v1/auth/login",
                json={"email": shop.owner_email, "password": PASSWORD},
                headers={"X-Request-ID": "trace-0001-abcdef", "Cookie": f"session={COOKIE}"},
            )
            code = http.post("/api/v1/terminals/pairing-codes", headers=owner).json()["code"]
            paired = http.post("/api/v1/sync/pair", json={"code": code, "name": "Till"}).json()
            device = {"Authorization": f"Bearer {paired['device_token']}"}
            pull = http.get("/api/v1/sync/pull", params={"cursor": QUERY}, headers=device)
            card = http.post(f"{API}/cards/enroll", json={"email": "x@example.com"}, headers=owner)
            stamp = http.post(
                f"{API}/stamp",
                json={"card_number": card.json()["card_number"], "staff_pin": PIN},
                headers=owner,
            )
            bad_id = http.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
        assert server.terminate() == 0
        text = server.log_text()
        records = server.log_records()  # every line parses as one JSON object

    secrets = {
        "password": PASSWORD,
        "PIN": PIN,
        "cookie": COOKIE,
        "query string": QUERY,
        "pairing code": code,
        "pairing code, normalized": code.replace("-", ""),
        "device token": paired["device_token"],
        "owner token": owner["Authorization"].split()[1],
    }
    for what, secret in secrets.items():
        assert secret not in text, f"the {what} is in the log"

    assert login.status_code == 401
    assert login.headers["X-Request-ID"] == "trace-0001-abcdef"
    assert stamp.status_code in (400, 403)  # a wrong PIN, refused
    requests = [r for r in records if r["msg"] == "request"]
    (line,) = [r for r in requests if r["request_id"] == "trace-0001-abcdef"]
    assert line["method"] == "POST"
    assert line["path"] == "/api/v1/auth/login"
    assert line["status"] == 401
    assert isinstance(line["duration_ms"], float)
    (pulled,) = [r for r in requests if r["request_id"] == pull.headers["X-Request-ID"]]
    assert pulled["path"] == "/api/v1/sync/pull"
    assert pulled["terminal_id"] == paired["terminal_id"]
    assert pulled["store_id"] == paired["store_id"]
    assert pulled["merchant_id"] == shop.merchant_id
    replaced = bad_id.headers["X-Request-ID"]
    assert replaced != "bad id\twith spaces"
    assert any(r["request_id"] == replaced for r in requests)
    assert len({r["request_id"] for r in requests}) == len(requests)


def _records_of(app, caplog, **client_kw) -> tuple[httpx.Response, list[logging.LogRecord]]:
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    caplog.handler.addFilter(RequestContext())
    with caplog.at_level(logging.INFO), TestClient(app, **client_kw) as client:
        response = client.get("/boom?pin=1234")
    return response, caplog.records


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_app_error_is_logged_with_the_request_id(app, caplog):
    response, records = _records_of(app, caplog, raise_server_exceptions=False)

    rid = response.headers["X-Request-ID"]
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL_ERROR"
    errors = [r for r in records if r.levelno >= logging.ERROR]
    assert errors
    assert all(r.request_id == rid for r in errors)
    assert "RuntimeError: a bug" in JsonFormatter().format(errors[0])
    (line,) = [r for r in records if r.getMessage() == "request"]
    formatted = json.loads(JsonFormatter().format(line))
    assert formatted["status"] == 500
    assert formatted["path"] == "/boom"  # no query string
    assert "pin=1234" not in PlainFormatter().format(line)
