"""A push locks every card its batch names in one statement up front (one array
parameter on PostgreSQL, sync_server/repositories/push_bulk.py): a card it missed would be
taken late with NOWAIT and fail the batch under contention."""

import psycopg
import pytest
from fastapi.testclient import TestClient

from sync_server.config import Settings
from sync_server.db import make_session_factory
from sync_server.main import create_app
from sync_server.repositories import push_bulk
from tests.support.shop import make_shop

API = "/api/v1/store/loyalty"


def test_every_card_the_batch_names_is_locked_up_front(pg_url: str) -> None:
    """Planted bug: the array parameter cut to its first number: the other cards are
    neither found nor locked."""
    app = create_app(Settings(database_url=pg_url))
    factory = make_session_factory(app.state.engine)
    shop = make_shop(factory)
    with TestClient(app) as client:
        numbers = set()
        for i in range(4):
            made = client.post(
                f"{API}/cards/enroll", json={"email": f"c{i}@x.example"}, headers=shop.owner_headers
            )
            assert made.status_code == 201, made.text
            numbers.add(str(made.json()["card_number"]))
    libpq = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with factory() as session, psycopg.connect(libpq, autocommit=True) as other:
        locked = push_bulk.lock_cards(session, shop.merchant_id, numbers)
        assert numbers <= set(locked.ids)
        assert {locked.states[locked.ids[n]].card_number for n in numbers} == numbers
        other.execute("SET lock_timeout = '200ms'")
        for number in numbers:
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("SELECT id FROM cards WHERE card_number = %s FOR UPDATE", (number,))
        session.rollback()
        assert len(other.execute("SELECT id FROM cards FOR UPDATE NOWAIT").fetchall()) >= 4
