"""Fixtures: every API test runs on SQLite and on a real PostgreSQL.

``backend`` ("sqlite" | "postgresql") parametrizes every test that uses ``db_url`` or
anything built on it (``settings``, ``app``, ``client``, ``session_factory``); ``pg_url``
is PostgreSQL only. Each test gets its own freshly migrated database.

Tests marked ``postgres`` (the postgresql param carries the mark) skip with a reason when
no server answers at TEST_PG_ADMIN_URL (default 127.0.0.1:5432), except when CI=true:
then they fail, so CI can never pass without them."""

import gc
import os

# Qt without a display, set before anything imports Qt (pytest-qt, the app).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy.orm import Session, sessionmaker

from common import pins
from sync_server.auth import passwords
from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.main import create_app
from tests.dbs import PG_ADMIN_URL, PgTemplates, SqliteTemplates, pg_reachable

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The interpreter's last collection skips what is alive when the session ends.

    Everything the tests imported and made is still referenced at exit, and the
    interpreter's final collection walks it all: ~5 s for the two first modules of
    tests/store_api, ~14 s for 263 tests, minutes when apps leaked (sync_server/api/
    docs_page.py). Collected once here, so garbage of the last tests still runs its
    finalizers while pytest's unraisable-exception hook reports them (it is removed only
    at unconfigure), then frozen: the final collection has nothing left to walk."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def _cheap_hashing() -> Iterator[None]:
    """Owner/manager passwords and staff PINs hashed with argon2id at its lowest cost
    in this process.

    The server's password hasher (argon2-cffi's defaults: t=3, 64 MiB, p=4) costs
    0.2-0.6 s a hash or verify on the CI machine, the PIN one (t=2, 19 MiB) ~30 ms, and
    the tests make users, PINs and logins by the thousand: a third of tests/security's
    time, a ninth of tests/store_api's went into them. No test here checks the cost
    (tests/domain/test_hashing_cost.py checks the real parameters in a fresh process);
    every test still hashes and verifies with argon2id, and a hash made at the real cost
    still verifies (argon2 reads the parameters from the hash). Servers and tills the
    tests start as processes keep the real cost."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    real = (passwords._hasher, passwords._DUMMY_HASH, pins._hasher)
    passwords._hasher, passwords._DUMMY_HASH = cheap, cheap.hash("not-a-real-password")
    pins._hasher = cheap
    yield
    passwords._hasher, passwords._DUMMY_HASH, pins._hasher = real


@pytest.fixture(scope="session")
def _pg_available() -> bool:
    return pg_reachable()


def _require_pg(available: bool) -> None:
    if available:
        return
    message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}"
    if IN_CI:
        pytest.fail(f"{message}; CI=true makes the PostgreSQL tests mandatory")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _postgres_marker(request: pytest.FixtureRequest) -> None:
    """Covers ``postgres``-marked tests that reach PostgreSQL without ``pg_url``."""
    if request.node.get_closest_marker("postgres") is not None:
        _require_pg(request.getfixturevalue("_pg_available"))


@pytest.fixture(scope="session")
def _pg_templates() -> Iterator[PgTemplates]:
    templates = PgTemplates()
    yield templates
    templates.close()


@pytest.fixture(scope="session")
def _sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture
def pg_url(_pg_available: bool, _pg_templates: PgTemplates) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test."""
    _require_pg(_pg_available)
    name, url = _pg_templates.fresh()
    yield url
    _pg_templates.drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
def db_url(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_templates: SqliteTemplates,
) -> str:
    """A fresh, migrated database of the test's backend."""
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return _sqlite_templates.fresh(tmp_path / "loyalty.db")


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Server settings on this test's database, defaults otherwise."""
    return Settings(database_url=db_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The real app from the factory; its engine is disposed at teardown."""
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient with the app's lifespan running."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def session_factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Direct database access for setup and checks, stamping changes like the server."""
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    yield factory
    engine.dispose()


@pytest.fixture
def file_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    """A real keyring backend, file-backed, instead of the OS one (none here)."""
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
