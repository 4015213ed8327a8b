"""A revoked till is refused everywhere at once (every endpoint, push and pull), a push
it tries after revocation applies nothing, and a deactivated person's live token stops
working with the next request."""

from sqlalchemy import func, select, update

from sync_server.models import User
from sync_server.models.sync import SyncOp
from tests.security import routes
from tests.store_api.conftest import API
from tests.support.till import pair


def test_a_revoked_device_token_gets_401_on_every_protected_endpoint(app, client, a):
    till = pair(client, a.owner)
    assert client.get(f"{API}/program", headers=till.headers).status_code == 200

    revoked = client.post(f"/api/v1/terminals/{till.terminal_id}/revoke", headers=a.owner)
    operations = routes.authenticated(app)
    answers = {
        (method, path): client.request(method, path, headers=till.headers)
        for method, path in operations
    }

    assert revoked.status_code == 200
    assert len(operations) >= 30
    wrong = {op: r.status_code for op, r in answers.items() if r.status_code != 401}
    assert wrong == {}
    assert {r.json()["code"] for r in answers.values()} == {"UNAUTHORIZED"}


def test_a_push_from_a_revoked_till_applies_nothing(client, session_factory, a):
    till = pair(client, a.owner)
    card = f"{API}/cards/{a.cards[0]['id']}"
    before = client.get(card, headers=a.owner).json()["points_balance"]
    client.post(f"/api/v1/terminals/{till.terminal_id}/revoke", headers=a.owner)
    op = till.op(
        {
            "type": "points.earn",
            "card_number": a.cards[0]["card_number"],
            "purchase_amount_cents": 1000,
        },
        staff_pin_id=a.pins[0],
    )

    response = till.push([op])

    assert response.status_code == 401
    assert client.get(card, headers=a.owner).json()["points_balance"] == before
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SyncOp)) == 0


def test_a_deactivated_manager_is_refused_at_once_with_the_token_already_issued(
    client, session_factory, a
):
    assert client.get("/api/v1/auth/me", headers=a.manager).status_code == 200
    with session_factory() as session:
        session.execute(
            update(User).where(User.email == "manager@a.example").values(is_active=False)
        )
        session.commit()

    me = client.get("/api/v1/auth/me", headers=a.manager)
    login = client.post(
        "/api/v1/auth/login", json={"email": "manager@a.example", "password": "pw-manager"}
    )

    assert (me.status_code, me.json()["code"]) == (401, "UNAUTHORIZED")
    assert login.status_code == 401
