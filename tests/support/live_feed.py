"""What the live feed's server-side tests share: a shop on PostgreSQL, a second server
process to commit through, a paired till holding one card, and order-not-seconds
waiting (deadlines only fail with a diagnosis)."""

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from bench.server_process import ServerProcess
from sync_server.db import make_engine, make_session_factory
from tests.dbs import PG_ADMIN_URL
from tests.support.shop import Shop, make_shop
from tests.support.till import Till, pair

API = "/api/v1/store/loyalty"


def until(condition: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached in time: {what}"
        time.sleep(0.01)


@pytest.fixture
def shop_on_pg(pg_url: str) -> Iterator[Shop]:
    engine = make_engine(pg_url)
    yield make_shop(make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def writer(pg_url: str) -> Iterator[ServerProcess]:
    """A server process of its own, to commit changes through."""
    server = ServerProcess(pg_url, workers=1)
    server.start()
    yield server
    server.stop()


def enrolled_till(http: httpx.Client, owner: dict[str, str]) -> tuple[Till, str]:
    """A till paired and synced after one card was enrolled: (till, its number)."""
    number = http.post(f"{API}/cards/enroll", json={"email": "a@x.example"}, headers=owner)
    till = pair(http, owner)
    till.pull_all()
    return till, number.json()["card_number"]


def stamps(till: Till, number: str) -> int:
    """The card's stamps at the till after it pulled."""
    till.pull_all()
    card = next(c for c in till.state["cards"].values() if c["card_number"] == number)
    return int(card["stamp_count"])


def libpq(database: str) -> str:
    """A psycopg address of ``database`` on the test cluster."""
    return PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql").rsplit("/", 1)[0] + (
        f"/{database}"
    )
