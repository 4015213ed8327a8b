"""The schema comes from Alembic migrations; it must be exactly what the models say."""

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sync_server.db import make_engine
from sync_server.migrate import downgrade, upgrade
from sync_server.migrations_compare import COMPARE_OPTIONS
from sync_server.models import Base


def _drift(url: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=COMPARE_OPTIONS)
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diff


def test_upgrade_head_produces_the_schema_the_models_describe(db_url):
    assert _drift(db_url) == []


def test_every_table_of_the_models_exists_after_upgrade(db_url):
    engine = make_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_downgrade_to_base_and_upgrade_again(db_url):
    downgrade(db_url, "base")
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(db_url)
    assert _drift(db_url) == []


def test_the_drift_check_notices_a_missing_index(db_url):
    """Negative control: the comparison above is able to fail."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_cards_pull")
    engine.dispose()
    assert _drift(db_url) != []


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_without_postgresql_its_tests_skip_except_in_ci(ci, outcome):
    """CI can never pass by skipping the PostgreSQL half of the suite."""
    test = "tests/test_migrations.py::test_upgrade_head_produces_the_schema_the_models_describe"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{test}[postgresql]"],
        env={
            **os.environ,
            "CI": ci,
            "TEST_PG_ADMIN_URL": "postgresql+psycopg://postgres@127.0.0.1:1/postgres",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert outcome in result.stdout, result.stdout
    assert "PostgreSQL is not reachable at postgresql+psycopg://postgres@127.0.0.1:1" in (
        result.stdout
    )
    assert (result.returncode != 0) == (ci == "true")


def test_a_database_with_customers_cards_and_an_erasure_goes_down_and_up_again(db_url):
    """Migrations that rebuild a table on SQLite (batch mode: copy, drop, rename) must
    work on a database that holds rows pointing at it. Caught: 0009 failed both ways
    on SQLite with any customer ("FOREIGN KEY constraint failed: DROP TABLE
    customers"), since foreign keys were on during the rebuild; the tests above run on
    empty databases."""
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from sync_server.config import Settings
    from sync_server.ledger_chain import verify
    from sync_server.main import create_app
    from sync_server.models import Card, Customer, LedgerEntry
    from tests.support.shop import make_shop

    app = create_app(Settings(database_url=db_url))
    shop = make_shop(app.state.session_factory)
    with TestClient(app) as http:
        for i in range(3):
            enrolled = http.post(
                "/api/v1/store/loyalty/cards/enroll",
                json={"email": f"c{i}@x.example", "customer_name": f"C {i}"},
                headers=shop.owner_headers,
            )
            assert enrolled.status_code in (200, 201), enrolled.text
        with app.state.session_factory() as session:
            first = session.scalars(select(Customer.id).order_by(Customer.id)).first()
        erased = http.delete(f"/api/v1/customers/{first}", headers=shop.owner_headers)
        assert erased.status_code == 200, erased.text
    app.state.engine.dispose()

    def counts() -> tuple[int, int, int]:
        engine = make_engine(db_url)
        with engine.connect() as conn:
            found = tuple(
                int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (Customer, Card, LedgerEntry)
            )
        engine.dispose()
        return found  # type: ignore[return-value]

    before = counts()
    downgrade(db_url, "0008")
    upgrade(db_url)

    assert counts() == before
    assert _drift(db_url) == []
    app = create_app(Settings(database_url=db_url))
    with app.state.session_factory() as session:
        assert verify(session, shop.merchant_id).intact
    app.state.engine.dispose()
