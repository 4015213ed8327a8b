"""Where the till keeps its device token without a keyring: a file of its own, written
again and again in a directory that already exists.

Planted bug this test was seen failing on (mutmut's name): ``FileTokens.set`` making
the directory without ``exist_ok`` (the second token cannot be written)."""

from desktop.engine.tokens import FileTokens


def test_a_token_file_is_written_in_an_existing_directory_and_replaced(tmp_path):
    tokens = FileTokens(tmp_path / "device-token")

    tokens.set("first")
    tokens.set("second")

    assert tokens.get() == "second"
    assert (tmp_path / "device-token").stat().st_mode & 0o777 == 0o600
    tokens.delete()
    assert tokens.get() is None
