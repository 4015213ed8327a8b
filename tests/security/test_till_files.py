"""A stolen or shared till PC: the till's data dir is readable by its own OS user only,
whatever the umask, so another account on the machine reads no customer data, PIN
hashes or token file. (What a thief with the user's own account gets is in
docs/security.md.)"""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.engine import paths
from desktop.engine.terminal import Terminal
from desktop.engine.tokens import FileTokens, MemoryTokens

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_dir_is_0700_and_every_database_file_0600(tmp_path, umask):
    data_dir = tmp_path / "till"
    terminal = Terminal(data_dir, tokens=MemoryTokens())
    try:
        with terminal.store.transaction() as conn:
            terminal.store.set_meta(conn, "probe", "written through the WAL")
        present = [p for p in data_dir.iterdir()]

        assert _mode(data_dir) == 0o700
        assert {p.name for p in present} >= {"till.db", "till.db-wal", "till.db-shm"}
        assert {p.name: _mode(p) for p in present} == {p.name: 0o600 for p in present}
    finally:
        terminal.store.close()


def test_a_data_dir_left_open_by_an_older_version_is_tightened(tmp_path, umask):
    data_dir = tmp_path / "till"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    FileTokens(data_dir / "device-token").set("a-device-token")
    (data_dir / "till.db").touch()
    (data_dir / "till.db").chmod(0o644)

    paths.make_private(data_dir)

    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "till.db") == 0o600
    assert _mode(data_dir / "device-token") == 0o600
