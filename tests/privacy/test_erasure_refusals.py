"""Export and erasure refuse what they must, with a stable code, and a refusal changes
nothing: forged and oversized ids, another merchant's customer (404, never 403: the
id's existence is not told), a store manager, a till."""

import pytest

from tests.privacy.scenario import EMAIL, build_world, state
from tests.store_api.conftest import API

CUSTOMERS = "/api/v1/customers"
FORGED = ["0", "-1", str(2**31), str(2**63), str(2**64), "1e3", "abc", "1%00", "%20"]


@pytest.fixture
def world(client, session_factory):
    return build_world(client, session_factory)


def _answers(client, customer_id: str, headers) -> set[tuple[int, str]]:
    return {
        (r.status_code, r.json()["code"])
        for r in (
            client.get(f"{CUSTOMERS}/{customer_id}/export", headers=headers),
            client.delete(f"{CUSTOMERS}/{customer_id}", headers=headers),
        )
    }


def test_a_forged_or_oversized_id_is_refused_and_changes_nothing(client, session_factory, world):
    before = state(session_factory)

    answers = {a for customer_id in FORGED for a in _answers(client, customer_id, world.a.owner)}

    assert answers <= {(404, "NOT_FOUND"), (404, "CUSTOMER_NOT_FOUND"), (422, "VALIDATION_ERROR")}
    assert (422, "VALIDATION_ERROR") in answers
    assert state(session_factory) == before


def test_another_merchants_customer_is_not_found(client, session_factory, world):
    """Planted bug: the repository's merchant filter dropped (B erases A's customer)."""
    before = state(session_factory)

    answers = _answers(client, str(world.person.customer_id), world.b.owner)

    assert answers == {(404, "CUSTOMER_NOT_FOUND")}
    assert state(session_factory) == before


def test_a_store_manager_and_a_till_are_refused(client, session_factory, world):
    before = state(session_factory)
    customer_id = str(world.person.customer_id)

    for headers in (world.a.manager, world.till.headers):
        assert _answers(client, customer_id, headers) == {(403, "FORBIDDEN")}
    assert state(session_factory) == before
    export = client.get(f"{CUSTOMERS}/{customer_id}/export", headers=world.a.owner)
    assert export.json()["customer"]["email"] == EMAIL


def test_the_card_setting_takes_close_or_keep_only(client, world):
    for value, status in (("keep", 200), ("close", 200), ("burn", 422), (1, 422)):
        answer = client.put(f"{API}/settings", json={"erasure_cards": value}, headers=world.a.owner)
        assert answer.status_code == status, (value, answer.text)
    settings = client.get(f"{API}/settings", headers=world.a.owner).json()
    assert (settings["erasure_cards"], settings["effective_erasure_cards"]) == ("close", "close")
