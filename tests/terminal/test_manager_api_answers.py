"""The manager area's client against the real server app (in process, SQLite): the
store names it shows for ids, and a validation refusal naming each field in words.

Planted bugs each test was seen failing on (mutmut's names, ``manager_api``):
``store_names`` asking with a wrong method, reading no ``store_id`` or no ``stores``;
``_field_error`` reading ``LOC`` (no field named), no ``msg``, or joining nothing;
``_refusal`` reading no ``code`` or no ``message``; ``update_settings`` sending
``PIN_LOCKOUT_MINUTES`` (the server refuses an unknown field); ``_build`` refusing an
answer it cannot read with no words."""

import httpx
import pytest

from desktop.engine.manager_api import BAD_RESPONSE_MESSAGE, ManagerApi, ManagerApiError
from tests.support.shop import make_shop

BASE = "https://testserver"


@pytest.fixture
def backend() -> str:
    """SQLite is enough here: the client, not the ledger, is under test."""
    return "sqlite"


@pytest.fixture
def api(client, session_factory):
    shop = make_shop(session_factory, name="Two", stores=2)
    manager_api = ManagerApi.login(
        BASE, "owner@two.example", "pw", shop.store_ids[0], transport=client._transport
    )
    yield manager_api, shop
    manager_api.close()


def test_the_stores_of_the_merchant_are_named_by_id(api):
    manager_api, shop = api

    assert manager_api.store_names() == {
        shop.store_ids[0]: "Two 1",
        shop.store_ids[1]: "Two 2",
    }


def test_a_refused_setting_is_named_with_the_servers_words(api):
    manager_api, _ = api

    with pytest.raises(ManagerApiError) as refused:
        manager_api.update_settings(0, 5000)

    assert refused.value.code == "VALIDATION_ERROR"
    message = refused.value.message
    head, _, fields = message.partition(": ")
    assert head
    assert not head.endswith(".")
    assert message.endswith(".")
    named = dict(part.split(": ", 1) for part in fields.rstrip(".").split("; "))
    assert set(named) == {"pin_lockout_attempts", "pin_lockout_minutes"}
    assert all(words and not words.endswith(".") for words in named.values())


def test_settings_in_bounds_are_taken(api):
    manager_api, _ = api

    taken = manager_api.update_settings(4, 45)

    assert (taken.pin_lockout_attempts, taken.pin_lockout_minutes) == (4, 45)


def test_each_refused_field_carries_the_servers_own_words(api, client):
    manager_api, shop = api
    raw = client.put(
        "/api/v1/store/loyalty/settings",
        json={"pin_lockout_attempts": 0, "pin_lockout_minutes": 30},
        headers=shop.owner_headers,
    ).json()["detail"]["errors"]

    with pytest.raises(ManagerApiError) as refused:
        manager_api.update_settings(0, 30)

    assert refused.value.message.endswith(f"pin_lockout_attempts: {raw[0]['msg'].rstrip('.')}.")


def test_an_answer_the_till_cannot_read_is_refused_in_words():
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json={"pins": [{"id": "x"}]}))
    manager_api = ManagerApi(httpx.Client(base_url="https://x", transport=transport), 1, 1, "owner")
    try:
        with pytest.raises(ManagerApiError) as refused:
            manager_api.staff_pins()
    finally:
        manager_api.close()

    assert refused.value.message == BAD_RESPONSE_MESSAGE


@pytest.mark.parametrize("detail", [None, "a string", ["a", "list"], 5])
def test_a_refusal_whose_detail_is_not_an_object_keeps_the_servers_words(detail):
    """Planted: ``_refusal`` reading ``errors`` from any detail (``or True``)."""
    body = {"code": "CONFLICT", "message": "Already done.", "detail": detail}
    transport = httpx.MockTransport(lambda _: httpx.Response(409, json=body))
    manager_api = ManagerApi(httpx.Client(base_url="https://x", transport=transport), 1, 1, "owner")
    try:
        with pytest.raises(ManagerApiError) as refused:
            manager_api.staff_pins()
    finally:
        manager_api.close()

    assert (refused.value.code, refused.value.message) == ("CONFLICT", "Already done.")
