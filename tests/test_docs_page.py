"""`/docs` on a shop's LAN without internet. Issue #12, bug 12."""

import re

import pytest


@pytest.fixture
def backend() -> str:
    """The page, not the ledger, is under test."""
    return "sqlite"


def test_the_docs_page_says_it_needs_the_internet_and_where_the_description_is(client):
    """Caught: the page was Swagger UI's script and style from a CDN and nothing else:
    without internet, a blank page that said nothing."""
    page = client.get("/docs")

    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", " ", page.text.split("<script", 1)[0])  # what shows without JS
    assert "loads Swagger UI from the internet" in text
    assert "/openapi.json" in text
    assert client.get("/openapi.json").status_code == 200
    assert "/docs" not in client.get("/openapi.json").json()["paths"]
