"""Pairing: a one-time, short-lived code becomes a device token the server can revoke."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from sync_server.models.sync import PairingCode, Terminal
from tests.support.shop import make_shop
from tests.support.till import pair

PULL = "/api/v1/sync/pull"


def test_a_paired_till_can_pull_with_its_device_token(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)

    response = client.get(PULL, headers=till.headers)

    assert response.status_code == 200
    assert till.store_id == shop.store_ids[0]
    assert till.card_node == 1_000_000 + till.terminal_id


def test_the_server_keeps_only_a_hash_of_the_device_token(client, session_factory):
    till = pair(client, make_shop(session_factory).owner_headers)
    with session_factory() as session:
        stored = session.scalars(select(Terminal.token_hash)).one()
    assert till.token not in stored
    assert len(stored) == 64


def test_a_pairing_code_works_once(client, session_factory):
    shop = make_shop(session_factory)
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers).json()["code"]

    first = client.post("/api/v1/sync/pair", json={"code": code})
    second = client.post("/api/v1/sync/pair", json={"code": code})

    assert first.status_code == 200
    assert second.status_code == 404
    assert second.json()["code"] == "PAIRING_CODE_INVALID"


def test_an_expired_pairing_code_is_refused(client, session_factory):
    shop = make_shop(session_factory)
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers).json()["code"]
    with session_factory() as session:
        session.execute(
            update(PairingCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()

    response = client.post("/api/v1/sync/pair", json={"code": code})

    assert response.status_code == 404
    assert response.json()["code"] == "PAIRING_CODE_INVALID"


def test_guessing_codes_is_throttled_even_for_the_right_code(client, session_factory):
    shop = make_shop(session_factory)
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers).json()["code"]
    for _ in range(10):
        assert client.post("/api/v1/sync/pair", json={"code": "WRONG-GUESS"}).status_code == 404

    response = client.post("/api/v1/sync/pair", json={"code": code})

    assert response.status_code == 429
    assert response.json()["code"] == "TOO_MANY_ATTEMPTS"


def test_only_the_owner_issues_pairing_codes_and_manages_tills(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)

    assert client.post("/api/v1/terminals/pairing-codes", headers=till.headers).status_code == 403
    assert client.get("/api/v1/terminals", headers=till.headers).status_code == 403
    assert (
        client.get("/api/v1/terminals", headers=shop.owner_headers).json()["terminals"][0]["id"]
        == till.terminal_id
    )


def test_a_revoked_till_gets_401_everywhere(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)

    revoked = client.post(
        f"/api/v1/terminals/{till.terminal_id}/revoke", headers=shop.owner_headers
    )

    assert revoked.status_code == 200
    assert client.get(PULL, headers=till.headers).status_code == 401
    assert till.push([]).status_code == 401
    assert client.get("/api/v1/store/loyalty/program", headers=till.headers).status_code == 401


def test_another_merchant_cannot_revoke_my_till(client, session_factory):
    mine = make_shop(session_factory, "Mine")
    theirs = make_shop(session_factory, "Theirs")
    till = pair(client, mine.owner_headers)

    response = client.post(
        f"/api/v1/terminals/{till.terminal_id}/revoke", headers=theirs.owner_headers
    )

    assert response.status_code == 404
    assert client.get(PULL, headers=till.headers).status_code == 200


def test_a_till_uses_the_store_api_for_its_own_store_but_cannot_manage_it(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    api = "/api/v1/store/loyalty"

    enrolled = client.post(
        f"{api}/cards/enroll", json={"email": "t@example.com"}, headers=till.headers
    )
    stamp = client.post(
        f"{api}/stamp",
        json={"card_id": enrolled.json()["id"], "staff_pin": shop.pin},
        headers=till.headers,
    )

    assert enrolled.status_code == 201
    assert stamp.status_code == 200
    assert client.get(f"{api}/pins", headers=till.headers).status_code == 403
    adjust = client.post(
        f"{api}/cards/{enrolled.json()['id']}/points/adjust",
        json={"points_delta": 5, "reason": "x", "staff_pin": shop.pin},
        headers=till.headers,
    )
    assert adjust.status_code == 403


def test_the_owner_sees_when_each_till_last_completed_a_pull(client, session_factory):
    """The server's own fact about a till's snapshot (offline limits judge by it)."""
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)

    before = client.get("/api/v1/terminals", headers=shop.owner_headers).json()["terminals"]
    till.pull_all()
    after = client.get("/api/v1/terminals", headers=shop.owner_headers).json()["terminals"]

    assert [t["last_pull_at"] for t in before] == [None]
    assert after[0]["last_pull_at"] is not None
