"""Server addresses at their edges: plain http:// is allowed to this machine only, and
an IPv6 loopback written in brackets is this machine.

Planted bug this test was seen failing on (mutmut's name): ``is_loopback`` stripping
whitespace instead of the brackets (``http://[::1]`` refused as another machine);
``refusal``'s words for an address that is no web address changed."""

import pytest

from desktop.engine.server_address import refusal


@pytest.mark.parametrize("url", ["http://[::1]:8000", "http://127.0.0.1:8000", "http://localhost"])
def test_plain_http_to_this_machine_is_allowed(url):
    assert refusal(url, False) is None


def test_plain_http_to_another_machine_is_refused_in_words():
    refused = refusal("http://[2001:db8::1]:8000", False)

    assert refused is not None
    assert "plain http://" in refused


@pytest.mark.parametrize("url", ["ftp://till.example", "till.example", "https://", ""])
def test_an_address_that_is_no_web_address_is_refused_in_words(url):
    assert refusal(url, False) == (
        "The server address is a web address starting with https:// (http:// only to this machine)."
    )
