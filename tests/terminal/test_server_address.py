"""The till talks https://, or plain http:// only to this machine or in a lab that says
so, at every entry: pairing, the stored address a sync uses, the manager login.

Caught before the fix: ``SyncClient.pair`` sent the pairing code to
``http://shop.example`` and stored the device token it got back, and ``sync_once`` sent
that token in clear on every round.
"""

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.app import parse_args
from desktop.engine.local_store import LocalStore
from desktop.engine.manager_api import INSECURE_ADDRESS, ManagerApi, ManagerApiError
from desktop.engine.server_address import ALLOW_INSECURE_ENV, insecure_allowed_by, refusal
from desktop.engine.sync_client import PairingFailed, SyncClient
from desktop.engine.tokens import MemoryTokens


@pytest.mark.parametrize(
    "url",
    [
        "https://loyalty.shop.example",
        "https://10.0.0.5:8443/",
        "http://127.0.0.1:8000",  # ./bin/demo
        "http://127.9.9.9",
        "http://localhost:8000/",
        "http://LOCALHOST",
        "http://[::1]:8000",
        "http://[::ffff:127.0.0.1]:8000",
    ],
)
def test_https_anywhere_and_http_to_this_machine_are_accepted(url):
    assert refusal(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://loyalty.shop.example",
        "http://10.0.0.5:8000",
        "http://0.0.0.0:8000",
        "http://127.0.0.1@evil.example",  # userinfo: the host is evil.example
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example",
    ],
)
def test_plain_http_to_another_machine_is_refused_in_words(url):
    words = refusal(url)
    assert words is not None
    assert "https://" in words
    assert "--allow-insecure-http" in words
    assert refusal(url, allow_insecure_http=True) is None  # the lab switch


@given(
    st.one_of(
        st.text(),
        st.sampled_from(["", "shop.example", "ftp://x", "https://", "http://[::1", "http://\x00"]),
        st.text().map(lambda t: "http://" + t),
        st.integers(0xD800, 0xDFFF).map(lambda c: "https://" + chr(c)),
    )
)
def test_any_typed_address_gets_a_verdict(url):
    assert refusal(url) is None or isinstance(refusal(url), str)


def test_the_lab_switch_is_exactly_one_in_the_environment_or_the_flag():
    assert insecure_allowed_by({ALLOW_INSECURE_ENV: "1"})
    assert not insecure_allowed_by({ALLOW_INSECURE_ENV: "yes please"})
    assert not insecure_allowed_by({})
    assert parse_args(["--allow-insecure-http"]).allow_insecure_http
    assert not parse_args([]).allow_insecure_http


def _never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the till sent {request.url} over plain http")


def test_pairing_over_plain_http_sends_nothing(tmp_path):
    store = LocalStore(tmp_path / "till.db")
    client = SyncClient(store, MemoryTokens(), transport=httpx.MockTransport(_never_called))
    with pytest.raises(PairingFailed, match="https://"):
        client.pair("http://loyalty.shop.example", "ABCDE-FGHJK")
    assert client.tokens.get() is None
    store.close()


def test_a_sync_to_a_stored_plain_http_address_never_sends_the_token(tmp_path):
    """A till paired before the rule, or its database edited: it says why and waits."""
    store = LocalStore(tmp_path / "till.db")
    with store.transaction() as conn:
        store.set_meta(conn, "base_url", "http://loyalty.shop.example")
    tokens = MemoryTokens()
    tokens.set("secret")
    client = SyncClient(store, tokens, transport=httpx.MockTransport(_never_called))
    state = client.sync_once()
    assert not state.online
    assert state.error is not None
    assert "https://" in state.error
    store.close()


def test_the_manager_login_over_plain_http_sends_no_password():
    with pytest.raises(ManagerApiError) as refused:
        ManagerApi.login(
            "http://loyalty.shop.example",
            "owner@shop.example",
            "pw",
            1,
            transport=httpx.MockTransport(_never_called),
        )
    assert refused.value.code == INSECURE_ADDRESS
    assert "https://" in refused.value.message
