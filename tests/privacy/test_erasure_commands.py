"""The operator's side of a data request, run as the installed console script:
export-customer, erase-customer, and the erasure log replayed onto a restored backup."""

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_server.db import make_engine, make_session_factory
from tests.privacy.scenario import EMAIL, NEEDLES, build_world, found_anywhere, state
from tests.test_cli import run

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def world(client, session_factory):
    return build_world(client, session_factory)


def _backup(db_url: str, target: Path) -> str:
    """A consistent copy of the live SQLite database (WAL included), as a backup is."""
    with (
        sqlite3.connect(db_url.removeprefix("sqlite:///")) as live,
        sqlite3.connect(target) as copy,
    ):
        live.backup(copy)
    return f"sqlite:///{target}"


def _factory(url: str) -> sessionmaker[Session]:
    return make_session_factory(make_engine(url))


def test_export_then_erase_by_email_and_refuse_an_unknown_one(db_url, world):
    merchant = str(world.a.id)

    exported = run(db_url, "export-customer", "--merchant-id", merchant, EMAIL)
    erased = run(db_url, "erase-customer", "--merchant-id", merchant, EMAIL)
    again = run(db_url, "erase-customer", "--merchant-id", merchant, EMAIL)
    by_id = run(
        db_url,
        "export-customer",
        "--merchant-id",
        merchant,
        "--customer-id",
        str(world.person.customer_id),
    )
    other = run(db_url, "export-customer", "--merchant-id", str(world.b.id), "c0@a.example")

    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["customer"]["email"] == EMAIL
    assert erased.returncode == 0, erased.stderr
    assert f"customer {world.person.customer_id} erased" in erased.stdout
    assert (again.returncode, again.stderr.split(":")[:2]) == (1, ["error", " CUSTOMER_NOT_FOUND"])
    assert json.loads(by_id.stdout)["customer"]["email"] is None
    assert other.returncode == 1
    assert "CUSTOMER_NOT_FOUND" in other.stderr
    assert run(db_url, "verify-ledger").returncode == 0


def test_a_restored_backup_is_erased_again_from_the_log_kept_beside_it(db_url, tmp_path, world):
    """Planted bug: reapply-erasures ignoring the --log file (the restored copy, taken
    before the erasure, has no log row of its own and keeps the person)."""
    restored = _backup(db_url, tmp_path / "backup.db")
    erased = run(db_url, "erase-customer", "--merchant-id", str(world.a.id), EMAIL)
    log = run(db_url, "erasure-log")
    (tmp_path / "erasures.json").write_text(log.stdout)
    assert erased.returncode == 0, erased.stderr
    assert EMAIL not in log.stdout
    assert found_anywhere(_factory(restored), NEEDLES) != []

    replayed = run(restored, "reapply-erasures", "--log", str(tmp_path / "erasures.json"))

    assert replayed.returncode == 0, replayed.stderr
    assert "1 erasures added" in replayed.stdout
    assert found_anywhere(_factory(restored), NEEDLES) == []
    assert run(restored, "verify-ledger").returncode == 0


def test_reapplying_twice_changes_nothing_more(db_url, world):
    run(db_url, "erase-customer", "--merchant-id", str(world.a.id), EMAIL)
    first = run(db_url, "reapply-erasures")
    between = state(_factory(db_url))

    second = run(db_url, "reapply-erasures")

    assert (first.returncode, second.returncode) == (0, 0)
    assert "1 erasures applied" in second.stdout
    assert state(_factory(db_url)) == between


def test_a_log_file_that_is_not_an_erasure_log_is_refused_in_one_line(db_url, tmp_path, world):
    bad = tmp_path / "bad.json"
    bad.write_text('{"erasures": [{"merchant_id": "x"}]}')

    answer = run(db_url, "reapply-erasures", "--log", str(bad))

    assert answer.returncode == 1
    assert answer.stderr.startswith("error: ERASURE_LOG_INVALID")
    assert len(answer.stderr.strip().splitlines()) == 1
