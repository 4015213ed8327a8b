"""Pairing codes: enough entropy, short-lived, single use (tests/sync/test_pairing.py),
stored only as a hash, and guessing them is budgeted per client IP."""

import math
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from sync_server.models.sync import PairingCode
from sync_server.services.attempts import PAIR_PER_IP
from sync_server.services.pairing import CODE_ALPHABET, CODE_TTL
from tests.support.shop import make_shop

CODES = "/api/v1/terminals/pairing-codes"
PAIR = "/api/v1/sync/pair"


def test_a_code_carries_at_least_48_random_bits_and_lives_at_most_15_minutes(
    client, session_factory
):
    shop = make_shop(session_factory)
    issued = [client.post(CODES, headers=shop.owner_headers).json() for _ in range(20)]

    symbols = {c["code"].replace("-", "") for c in issued}
    assert len(symbols) == 20
    assert all(re.fullmatch(f"[{CODE_ALPHABET}]{{10}}", s) for s in symbols)
    assert 10 * math.log2(len(set(CODE_ALPHABET))) >= 48
    for code in issued:
        lifetime = datetime.fromisoformat(code["expires_at"]) - datetime.now(UTC)
        assert timedelta(0) < lifetime <= CODE_TTL <= timedelta(minutes=15)


def test_the_database_keeps_only_a_hash_of_a_pairing_code(client, session_factory):
    shop = make_shop(session_factory)
    code = client.post(CODES, headers=shop.owner_headers).json()["code"]

    with session_factory() as session:
        stored = session.scalars(select(PairingCode.code_hash)).one()

    assert code.replace("-", "") not in stored
    assert client.post(PAIR, json={"code": stored}).status_code in (404, 422)


def test_an_exhausted_pairing_budget_answers_429_with_retry_after(app, session_factory):
    shop = make_shop(session_factory)
    owner = TestClient(app)
    code = owner.post(CODES, headers=shop.owner_headers).json()["code"]
    guesser = TestClient(app, client=("203.0.113.9", 40000))
    for _ in range(PAIR_PER_IP.failures):
        assert guesser.post(PAIR, json={"code": "AAAAA-AAAAA"}).status_code == 404

    refused = guesser.post(PAIR, json={"code": code})
    honest = TestClient(app, client=("198.51.100.4", 40000)).post(PAIR, json={"code": code})

    assert refused.status_code == 429
    assert refused.json()["code"] == "TOO_MANY_ATTEMPTS"
    assert 0 < int(refused.headers["Retry-After"]) <= PAIR_PER_IP.window.total_seconds()
    assert honest.status_code == 200
