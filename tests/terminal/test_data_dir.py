"""The till's data directory: where it is, and that only this user can read it.

Planted bugs each test was seen failing on (mutmut's names, ``paths``):
``make_private`` creating the directory or the database file with no mode."""

import stat

from desktop.engine import paths


def test_a_new_data_directory_and_its_database_are_private(tmp_path):
    directory = tmp_path / "till" / "data"

    paths.make_private(directory)

    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    database = directory / paths.DATABASE_NAME
    assert database.exists()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_the_data_directory_can_be_set_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "elsewhere"))

    assert paths.data_dir() == tmp_path / "elsewhere"
    assert paths.database_path() == tmp_path / "elsewhere" / paths.DATABASE_NAME
