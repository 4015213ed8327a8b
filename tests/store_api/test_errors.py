"""Bad input gets a clear error body with a stable code, never a 500."""

from tests.store_api.conftest import API


def test_validation_errors_are_422_with_a_code(client, a):
    response = client.post(f"{API}/points/earn", json={"card_id": "x"}, headers=a.manager)
    body = response.json()
    assert response.status_code == 422
    assert body["code"] == "VALIDATION_ERROR"
    assert body["message"]
    assert body["detail"]["errors"]


def test_huge_numbers_are_refused_not_crashed_on(client, a):
    huge = 99999999999999999999
    for method, path, body in [
        ("GET", f"{API}/cards/{huge}", None),
        ("GET", f"{API}/cards/{huge}/transactions", None),
        ("PATCH", f"{API}/pins/{huge}", {"name": "x"}),
        ("POST", f"{API}/stamp", {"card_id": huge}),
        ("POST", f"{API}/points/earn", {"card_id": 1, "purchase_amount_cents": huge}),
        ("POST", f"{API}/stamp/void", {"card_id": 1, "original_transaction_id": huge}),
        ("GET", f"{API}/cards?skip={huge}", None),
    ]:
        response = client.request(method, path, json=body, headers=a.owner)
        assert response.status_code == 422, (path, response.text)


def test_a_body_over_the_limit_is_413(client, a):
    response = client.post(f"{API}/stamp", content=b"x" * 1_100_000, headers=a.owner)
    assert response.status_code == 413
    assert response.json()["code"] == "BODY_TOO_LARGE"


def test_unknown_paths_and_methods_answer_json(client, a):
    missing = client.get("/api/v1/nowhere", headers=a.owner)
    wrong_method = client.delete(f"{API}/stamp", headers=a.owner)
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_extra_fields_and_malformed_json_are_refused(client, a):
    extra = client.post(f"{API}/stamp", json={"card_id": 1, "stamps": 100}, headers=a.owner)
    malformed = client.post(
        f"{API}/stamp",
        content=b"{not json",
        headers={**a.owner, "Content-Type": "application/json"},
    )
    assert extra.status_code == 422
    assert malformed.status_code == 422
