"""Owner/manager login: wrong passwords are budgeted per client IP and per account, in
the database, and the budget is checked before the password so a blocked guesser learns
nothing even when it finally guesses right."""

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync_server.models.sync import Throttle
from sync_server.services.attempts import LOGIN_PER_ACCOUNT, LOGIN_PER_IP
from tests.support.server import running_server
from tests.support.shop import make_shop

LOGIN = "/api/v1/auth/login"


def _from(app: FastAPI, ip: str) -> TestClient:
    return TestClient(app, client=(ip, 40000))


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post(LOGIN, json={"email": email, "password": password}).status_code


def test_an_account_is_blocked_after_its_budget_of_wrong_passwords_from_any_ips(
    app, session_factory, clock
):
    shop = make_shop(session_factory)
    for i in range(LOGIN_PER_ACCOUNT.failures):
        assert _login(_from(app, f"10.0.0.{i + 1}"), shop.owner_email, "wrong") == 401

    refused = _from(app, "10.0.1.1").post(LOGIN, json={"email": shop.owner_email, "password": "pw"})

    assert refused.status_code == 429
    assert refused.json()["code"] == "TOO_MANY_ATTEMPTS"
    assert 0 < int(refused.headers["Retry-After"]) <= LOGIN_PER_ACCOUNT.window.total_seconds()
    assert refused.json()["detail"]["retry_after_s"] == int(refused.headers["Retry-After"])
    assert refused.json()["message"] == "Too many failed logins. Try again in 15 minutes."


def test_one_ip_is_blocked_after_its_budget_whatever_emails_it_tries(app, session_factory, clock):
    shop = make_shop(session_factory)
    guesser = _from(app, "203.0.113.7")
    for i in range(LOGIN_PER_IP.failures):
        assert _login(guesser, f"nobody{i}@example.com", "guess") == 401

    assert _login(guesser, shop.owner_email, "pw") == 429
    assert _login(_from(app, "198.51.100.1"), shop.owner_email, "pw") == 200


def test_the_budget_reopens_when_its_window_ends(app, session_factory, clock):
    shop = make_shop(session_factory)
    client = _from(app, "10.0.0.1")
    for _ in range(LOGIN_PER_ACCOUNT.failures):
        _login(client, shop.owner_email, "wrong")
    assert _login(client, shop.owner_email, "pw") == 429

    clock.advance(LOGIN_PER_ACCOUNT.window)

    assert _login(client, shop.owner_email, "pw") == 200


def test_a_right_password_clears_the_account_count_before_it_is_exhausted(
    app, session_factory, clock
):
    shop = make_shop(session_factory)
    client = _from(app, "10.0.0.1")
    for _ in range(LOGIN_PER_ACCOUNT.failures - 1):
        _login(client, shop.owner_email, "wrong")
    assert _login(client, shop.owner_email, "pw") == 200

    for _ in range(LOGIN_PER_ACCOUNT.failures - 1):
        assert _login(client, shop.owner_email, "wrong") == 401
    assert _login(client, shop.owner_email, "pw") == 200


@pytest.mark.slow
def test_budgets_are_shared_by_every_server_process(db_url, session_factory):
    """Two server instances, each its own uvicorn process on the same database, as
    behind a balancer: wrong passwords sent to either count in one budget (before, two
    app objects in the test's own process stood in for them)."""
    shop = make_shop(session_factory)
    with running_server(db_url, workers=1) as first, running_server(db_url, workers=1) as second:
        for i in range(LOGIN_PER_ACCOUNT.failures):
            url = first if i % 2 else second
            body = {"email": shop.owner_email, "password": "wrong"}
            assert httpx.post(f"{url}{LOGIN}", json=body, timeout=30).status_code == 401

        for url in (first, second):
            body = {"email": shop.owner_email, "password": "pw"}
            assert httpx.post(f"{url}{LOGIN}", json=body, timeout=30).status_code == 429


def test_a_successful_login_charges_nothing(app, session_factory, clock):
    """A shop's tills and managers behind one NAT may log in as often as they like."""
    shop = make_shop(session_factory)
    client = _from(app, "10.0.0.1")
    for _ in range(3):
        assert _login(client, shop.owner_email, "pw") == 200

    with session_factory() as session:
        assert session.scalars(select(Throttle)).all() == []
