"""The device token: in the OS keyring when there is one, else in a file only this user
can read — never lost, never world-readable."""

import stat

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from desktop.engine.sync_client import KeyringTokens
from desktop.engine.tokens import FileTokens, default_tokens


@pytest.fixture
def backend():
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def test_with_a_keyring_the_token_goes_there(backend, tmp_path):
    store = PlaintextKeyring()
    store.file_path = str(tmp_path / "keyring.cfg")
    backend(store)

    tokens = default_tokens(tmp_path / "till", "till-1")
    tokens.set("secret-token")

    assert isinstance(tokens, KeyringTokens)
    assert store.get_password("loyalty-terminal", "till-1") == "secret-token"
    assert not (tmp_path / "till" / "device-token").exists()


def test_without_any_keyring_the_token_is_a_file_only_this_user_reads(backend, tmp_path):
    backend(fail.Keyring())

    tokens = default_tokens(tmp_path / "till", "till-1")
    tokens.set("secret-token")

    assert isinstance(tokens, FileTokens)
    assert tokens.get() == "secret-token"
    assert stat.S_IMODE(tokens.path.stat().st_mode) == 0o600
    tokens.delete()
    assert tokens.get() is None
