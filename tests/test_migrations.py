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
