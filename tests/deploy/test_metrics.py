"""/metrics: ops counted by outcome and reason at the route layer, sync latency
histograms, terminal gauges read from the database, and one view across workers."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.main import create_app
from sync_server.models.sync import Terminal
from tests.deploy.serve import free_port, server_env, serving
from tests.support.shop import make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def _enroll(client, headers) -> str:
    response = client.post(f"{API}/cards/enroll", json={"email": "m@example.com"}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["card_number"])


def _earn(till: Till, number: str, pin_id: int) -> dict:
    body = {"type": "points.earn", "card_number": number, "purchase_amount_cents": 500}
    return till.op(body, staff_pin_id=pin_id)


def test_pushed_ops_are_counted_by_outcome_and_reason(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    number = _enroll(client, shop.owner_headers)
    pin_id = shop.pin_ids[till.store_id]
    earns = [_earn(till, number, pin_id) for _ in range(3)]
    too_dear = till.op(
        {"type": "points.redeem", "card_number": number, "reward_id": "fifty"},
        staff_pin_id=pin_id,
    )

    first = till.push([*earns, too_dear]).json()["results"]
    till.push([earns[0]])
    till.pull_all()
    text = client.get("/metrics").text

    reason = first[3]["code"]
    assert [r["status"] for r in first] == ["applied"] * 3 + ["rejected"]
    assert value(text, "loyalty_ops_total", source="push", outcome="applied", reason="none") == 3
    assert value(text, "loyalty_ops_total", source="push", outcome="rejected", reason=reason) == 1
    assert value(text, "loyalty_ops_total", source="push", outcome="duplicate", reason="none") == 1
    assert value(text, "loyalty_push_batch_ops_count") == 2
    assert value(text, "loyalty_push_batch_ops_sum") == 5
    assert value(text, "loyalty_sync_request_seconds_count", endpoint="push") == 2
    pulls = value(text, "loyalty_sync_request_seconds_count", endpoint="pull")
    assert pulls >= 1
    route = "/api/v1/sync/push"
    assert value(text, "loyalty_http_requests_total", method="POST", route=route, status="200") == 2


def test_store_api_ops_are_counted_with_their_reason(client, session_factory):
    shop = make_shop(session_factory)
    number = _enroll(client, shop.owner_headers)
    stamp = {"card_number": number, "staff_pin_id": shop.pin_ids[shop.store_ids[0]]}

    ok = client.post(
        f"{API}/stamp", json={**stamp, "staff_pin": shop.pin}, headers=shop.owner_headers
    )
    bad = client.post(
        f"{API}/stamp", json={**stamp, "staff_pin": "0000"}, headers=shop.owner_headers
    )
    text = client.get("/metrics").text

    assert ok.status_code == 200, ok.text
    reason = bad.json()["code"]
    assert value(text, "loyalty_ops_total", source="api", outcome="applied", reason="none") == 1
    assert value(text, "loyalty_ops_total", source="api", outcome="rejected", reason=reason) == 1


def test_active_terminals_are_counted_in_the_database(client, session_factory):
    shop = make_shop(session_factory)
    recent = pair(client, shop.owner_headers, name="Recent")
    stale = pair(client, shop.owner_headers, name="Stale")
    with session_factory() as session:
        session.execute(
            update(Terminal)
            .where(Terminal.id == stale.terminal_id)
            .values(last_seen_at=datetime.now(UTC) - timedelta(hours=2))
        )
        session.commit()

    text = client.get("/metrics").text

    assert recent.terminal_id != stale.terminal_id
    assert value(text, "loyalty_active_terminals") == 1
    assert value(text, "loyalty_paired_terminals") == 2


def test_a_metrics_token_when_set_is_required(db_url):
    app = create_app(Settings(database_url=db_url, metrics_token="scrape-secret"))
    try:
        with TestClient(app) as client:
            refused = client.get("/metrics")
            wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
            allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    finally:
        app.state.engine.dispose()

    assert refused.status_code == 401
    assert refused.json()["code"] == "UNAUTHORIZED"
    assert wrong.status_code == 401
    assert allowed.status_code == 200
    assert "loyalty_paired_terminals" in allowed.text


@pytest.mark.slow
def test_workers_share_one_view_of_the_metrics(tmp_path: Path, sqlite_templates):
    url = sqlite_templates.fresh(tmp_path / "mp.db")
    engine = make_engine(url)
    shop = make_shop(make_session_factory(engine))
    engine.dispose()
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"stale from a previous run")
    env = server_env(url, port, LOYALTY_METRICS_DIR=str(metrics_dir))

    argv = ["loyalty-server", "serve", "--workers", "2"]
    with serving(argv, env, port, tmp_path / "log") as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            till = pair(http, shop.owner_headers)
            number = _enroll(http, shop.owner_headers)
        pin_id = shop.pin_ids[till.store_id]
        for _ in range(8):  # a new connection each: the workers share the accepting socket
            with httpx.Client(base_url=server.url, timeout=60) as http:
                till.client = http
                assert till.push([_earn(till, number, pin_id)]).status_code == 200
        scrapes = [httpx.get(f"{server.url}/metrics", timeout=30).text for _ in range(4)]
        assert server.terminate() == 0

    assert not (metrics_dir / "counter_99999.db").exists()
    for text in scrapes:  # whichever worker answered, it reports every worker's counts
        assert (
            value(text, "loyalty_ops_total", source="push", outcome="applied", reason="none") == 8
        )
        assert value(text, "loyalty_sync_request_seconds_count", endpoint="push") == 8
        assert value(text, "loyalty_active_terminals") == 1
