"""The merchant's window for what tills keep: set by the owner within bounds, sent to
the tills with the other settings."""

import pytest

from common.retention import DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS, MIN_HISTORY_DAYS
from tests.support.shop import make_shop
from tests.support.till import pair

SETTINGS = "/api/v1/store/loyalty/settings"


@pytest.fixture
def shop(session_factory):
    return make_shop(session_factory)


def test_the_window_defaults_and_is_set_within_its_bounds(client, shop):
    default = client.get(SETTINGS, headers=shop.owner_headers).json()
    put = client.put(SETTINGS, json={"till_history_days": 30}, headers=shop.owner_headers)
    back = client.put(SETTINGS, json={"till_history_days": None}, headers=shop.owner_headers)

    assert (default["till_history_days"], default["effective_till_history_days"]) == (
        None,
        DEFAULT_HISTORY_DAYS,
    )
    assert put.json()["effective_till_history_days"] == 30
    assert back.json()["effective_till_history_days"] == DEFAULT_HISTORY_DAYS


@pytest.mark.parametrize(
    "value", [MIN_HISTORY_DAYS - 1, MAX_HISTORY_DAYS + 1, 2**63, -1, 1.5, "30", True]
)
def test_a_window_outside_its_bounds_is_refused_and_changes_nothing(client, shop, value):
    client.put(SETTINGS, json={"till_history_days": 45}, headers=shop.owner_headers)

    refused = client.put(SETTINGS, json={"till_history_days": value}, headers=shop.owner_headers)

    assert refused.status_code == 422
    assert refused.json()["code"] == "VALIDATION_ERROR"
    assert client.get(SETTINGS, headers=shop.owner_headers).json()["till_history_days"] == 45


def test_the_tills_get_the_window_with_their_settings(client, shop):
    till = pair(client, shop.owner_headers)
    client.put(SETTINGS, json={"till_history_days": 60}, headers=shop.owner_headers)

    page = client.get("/api/v1/sync/pull", headers=till.headers).json()

    assert page["settings"]["history_days"] == 60
