"""A copy of the server's database yields no usable bearer token or pairing code: only
SHA-256 digests of 256-bit random tokens are stored, and a digest is not a token."""

from sqlalchemy import inspect, text

from tests.support.shop import make_shop
from tests.support.till import pair

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


def _dump(session_factory) -> str:
    """Every row of every table, as text: what a stolen backup holds."""
    with session_factory() as session:
        engine = session.get_bind()
        tables = inspect(engine).get_table_names()
        rows = [
            repr(tuple(row))
            for table in tables
            for row in session.execute(text(f'SELECT * FROM "{table}"'))
        ]
    return "\n".join(rows)


def test_no_live_token_or_code_appears_in_a_database_dump(client, session_factory):
    shop = make_shop(session_factory)
    till = pair(client, shop.owner_headers)
    login = client.post(LOGIN, json={"email": shop.owner_email, "password": "pw"}).json()
    code = client.post("/api/v1/terminals/pairing-codes", headers=shop.owner_headers).json()

    dump = _dump(session_factory)

    assert client.get(ME, headers=till.headers).status_code == 200
    for secret in (till.token, login["access_token"], code["code"].replace("-", "")):
        assert secret not in dump


def test_a_stored_digest_is_refused_as_a_bearer_token(client, session_factory):
    shop = make_shop(session_factory)
    pair(client, shop.owner_headers)
    client.post(LOGIN, json={"email": shop.owner_email, "password": "pw"})
    with session_factory() as session:
        digests = [
            *session.execute(text("SELECT token_hash FROM terminals")).scalars(),
            *session.execute(text("SELECT token_hash FROM api_tokens")).scalars(),
        ]

    assert len(digests) >= 3
    for digest in digests:
        response = client.get(ME, headers={"Authorization": f"Bearer {digest}"})
        assert response.status_code == 401
