"""Every endpoint, fed hostile values one part at a time, answers with a verdict.

For each endpoint of tests/hostile/endpoints.py, hypothesis mutates one part of a valid
request (a body field replaced by NaN, 2^63, a NUL, a lone surrogate, a naive or year-1
date, a wrong type; a key dropped, added or repeated; a query value; a path id) and
checks: no 5xx; a refusal has the error shape with a stable code; a refusal changed
nothing (balances, ledger, chain head, claims, customers, aliases, program, PINs).
HOSTILE_EXAMPLES sets the examples per endpoint (CI: the default)."""

import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_server.auth import tokens
from sync_server.models import User
from sync_server.repositories import programs as program_repo
from sync_server.services import programs
from tests.hostile.endpoints import ENDPOINTS, Endpoint
from tests.hostile.mutations import (
    Request,
    body_mutation,
    leaves,
    path_values,
    query_mutation,
    render,
    replaced,
)
from tests.hostile.values import CLASS_REPRESENTATIVES, forged_cursor
from tests.hostile.world import World, chain_intact, fingerprint
from tests.support.shop import PROGRAM

pytestmark = pytest.mark.postgres

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "25"))
CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")


@st.composite
def hostile_request(draw: st.DrawFn, endpoint: Endpoint, world: World) -> Request:
    body = endpoint.body(world) if endpoint.body else None
    query = endpoint.query(world) if endpoint.query else {}
    path_id = endpoint.path_id(world) if endpoint.path_id else None
    parts = ["query"]
    if body is not None:
        parts += ["body", "body", "body"]
    if path_id is not None:
        parts.append("path")
    part = draw(st.sampled_from(parts))
    what = "as is"
    if part == "body":
        body, what = draw(body_mutation(body))
    elif part == "query":
        query, what = draw(query_mutation(query))
    else:
        path_id = draw(path_values())
        what = f"path id {path_id}"
    return render(endpoint.method, endpoint.path, path_id, query, body, what)


def _headers(world: World, auth: str) -> dict[str, str]:
    if auth == "owner":
        return world.shop.owner_headers
    if auth == "till":
        return world.till.headers
    return {}


def _restore(world: World) -> None:
    """Undo what a destructive endpoint's valid request did: the program, the token."""
    with world.factory() as session:
        if program_repo.for_merchant(session, world.shop.merchant_id) is None:
            programs.create(
                session,
                world.shop.merchant_id,
                PROGRAM | {"cooldown_minutes": 0, "max_daily_stamps": 100},
            )
        owner = session.query(User).filter_by(email=world.shop.owner_email).one()
        issued = tokens.issue(
            session, owner, world.shop.store_ids[0], datetime.now(UTC), timedelta(hours=2)
        )
        session.commit()
    world.shop.owner_headers = {"Authorization": f"Bearer {issued.token}"}


def check_verdict(response: Any, request: Request) -> None:
    where = f"{request.method} {request.url[:200]} ({request.what})"
    assert response.status_code < 500, f"{where} -> {response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"code", "message", "detail"}, f"{where}: {body}"
        assert CODE.match(body["code"]), f"{where}: code {body['code']!r}"
        assert isinstance(body["message"], str), where
        assert body["message"], where
        assert isinstance(body["detail"], dict), where


def check_push_answer(response: Any, request: Request) -> None:
    if response.status_code != 200:
        return
    for result in response.json()["results"]:
        assert result["status"] in {"applied", "duplicate", "rejected"}, request.what
        if result["status"] == "rejected":
            assert CODE.match(result["code"] or ""), f"{request.what}: {result}"


def _endpoint_id(endpoint: Endpoint) -> str:
    return f"{endpoint.name}{endpoint.extra.get('variant', '')}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_endpoint_id)
def test_every_hostile_request_gets_a_verdict_and_a_refusal_changes_nothing(
    hostile_world: World, endpoint: Endpoint
) -> None:
    world = hostile_world

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=os.environ.get("CI", "").lower() == "true",
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        request = data.draw(hostile_request(endpoint, world))
        before = fingerprint(world.factory)
        response = request.send(world.client, _headers(world, endpoint.auth))
        check_verdict(response, request)
        if response.status_code >= 400:
            assert fingerprint(world.factory) == before, f"refused but changed: {request.what}"
        if endpoint.path.endswith("/push"):
            check_push_answer(response, request)
        if endpoint.extra.get("destructive"):
            _restore(world)

    run()
    assert chain_intact(world.factory, [world.shop.merchant_id, world.other.merchant_id]) == []


def _sweep(endpoint: Endpoint, world: World) -> list[Request]:
    """Every field of the request replaced, one at a time, by one value of each hostile
    class (a push's baseline holds one op of each path: in memory, ORM, enrollment)."""
    requests = []
    body = endpoint.body(world) if endpoint.body else None
    query = endpoint.query(world) if endpoint.query else {}
    path_id = endpoint.path_id(world) if endpoint.path_id else None
    spots = leaves(body) if body is not None else []
    for spot in spots:
        for value in CLASS_REPRESENTATIVES:
            fresh = endpoint.body(world) if endpoint.body else None
            what = f"{spot} = {value!r:.40}"
            requests.append(
                render(
                    endpoint.method,
                    endpoint.path,
                    path_id,
                    query,
                    replaced(fresh, spot, value),
                    what,
                )
            )
    for key in query:
        for value in CLASS_REPRESENTATIVES:
            text = "" if value is None else str(value)
            requests.append(
                render(
                    endpoint.method,
                    endpoint.path,
                    path_id,
                    {**query, key: text},
                    body,
                    f"query {key}={text!r:.40}",
                )
            )
    return requests


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_endpoint_id)
def test_every_field_of_every_endpoint_survives_one_value_of_each_hostile_class(
    hostile_world: World, endpoint: Endpoint
) -> None:
    """Deterministic, exhaustive over fields: every failure is listed, not the first."""
    world, failures = hostile_world, []
    for request in _sweep(endpoint, world):
        before = fingerprint(world.factory)
        response = request.send(world.client, _headers(world, endpoint.auth))
        try:
            check_verdict(response, request)
            if response.status_code >= 400:
                assert fingerprint(world.factory) == before, f"refused but changed: {request.what}"
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:300])
        if endpoint.extra.get("destructive"):
            _restore(world)
    assert failures == []


def test_any_cursor_the_server_did_not_sign_means_a_full_resync(hostile_world: World) -> None:
    world = hostile_world

    @settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=list(HealthCheck))
    @given(cursor=forged_cursor().filter(bool))
    def run(cursor: str) -> None:
        page = world.client.get(
            "/api/v1/sync/pull", params={"cursor": cursor, "limit": 1}, headers=world.till.headers
        )
        assert page.status_code in (200, 422), page.text
        if page.status_code == 200:
            assert page.json()["reset"] is True, cursor

    run()
