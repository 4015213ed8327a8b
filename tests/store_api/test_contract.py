"""The OpenAPI document says what the server enforces: a body it allows is not refused
as invalid, one it forbids is not taken (schemathesis found both kinds, issue #11)."""

import json

from tests.store_api.conftest import API, PIN


def test_a_boolean_field_takes_only_a_boolean_and_an_integer_field_no_boolean(client, a):
    program = client.put(f"{API}/program", json={"is_active": 0}, headers=a.owner)
    settings = client.put(f"{API}/settings", json={"pin_lockout_attempts": True}, headers=a.owner)

    assert program.status_code == 422
    assert settings.status_code == 422


def test_an_integer_written_with_a_zero_fraction_is_an_integer(client, a):
    card = a.cards[1]["id"]
    body = {"staff_pin": PIN, "staff_pin_id": float(a.pins[0])}

    response = client.post(f"{API}/cards/{card}/deactivate", json=body, headers=a.owner)

    assert response.status_code == 200, response.text


def test_lookup_takes_exactly_one_query_key(client, a):
    card = a.cards[0]
    one = client.post(f"{API}/cards/lookup", params={"card_id": card["id"]}, headers=a.owner)
    two = client.post(
        f"{API}/cards/lookup",
        params={"card_id": card["id"], "card_number": card["card_number"]},
        headers=a.owner,
    )
    unknown = client.post(f"{API}/cards/lookup", params={"id": card["id"]}, headers=a.owner)

    assert one.status_code == 200
    assert two.status_code == 422
    assert unknown.status_code == 422


def test_the_document_states_the_rules_the_validators_apply(client):
    document = client.get("/openapi.json").json()
    bodies = document["components"]["schemas"]
    lookup = document["paths"][f"{API}/cards/lookup"]["post"]["parameters"]

    assert [len(b["required"]) for b in bodies["StampRequest"]["oneOf"]] == [1, 1, 1]
    assert len(bodies["StampVoidRequest"]["allOf"]) == 2
    assert [b["required"] for b in bodies["CardEnrollRequest"]["oneOf"]] == [
        ["customer_id"],
        ["email"],
    ]
    assert bodies["PinUpdate"]["minProperties"] == 1
    assert [(p["name"], p["schema"]["maxProperties"]) for p in lookup] == [("card", 1)]
    text = json.dumps(document)
    assert '"ge":' not in text
    assert '"le":' not in text
