"""The pull prefetch: page n+1 on the wire while page n is written, in order, bounded."""

import threading

import pytest

from desktop.engine.prefetch import PagePrefetch


class FakeServer:
    """Pages c1..cN; records which cursor each fetch sent and how far ahead of the
    consumer the fetcher ever got."""

    def __init__(self, pages: int, fail_at: int | None = None) -> None:
        self.pages = pages
        self.fail_at = fail_at
        self.asked: list[str | None] = []
        self.consumed = 0
        self.max_lead = 0
        self.lock = threading.Lock()

    def fetch(self, cursor: str | None) -> dict:
        with self.lock:
            self.asked.append(cursor)
            n = len(self.asked)
            self.max_lead = max(self.max_lead, n - self.consumed)
        if n == self.fail_at:
            raise ConnectionError(f"page {n} lost")
        return {"cursor": f"c{n}", "has_more": n < self.pages, "n": n}


def test_pages_come_in_order_each_fetched_with_the_previous_cursor():
    server = FakeServer(pages=6)
    seen = []
    with PagePrefetch(server.fetch, "c0") as pages:
        for page in pages:
            seen.append(page["n"])
            with server.lock:
                server.consumed += 1

    assert seen == [1, 2, 3, 4, 5, 6]
    assert server.asked == ["c0", "c1", "c2", "c3", "c4", "c5"]
    # one page being written, one waiting, one on the wire: never more
    assert server.max_lead <= 3


def test_a_fetch_error_surfaces_after_the_pages_before_it():
    server = FakeServer(pages=6, fail_at=3)
    seen = []

    def drain() -> None:
        with PagePrefetch(server.fetch, None) as pages:
            for page in pages:
                seen.append(page["n"])

    with pytest.raises(ConnectionError, match="page 3 lost"):
        drain()

    assert seen == [1, 2]


def _fetchers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pull-prefetch"]


def test_leaving_early_stops_the_fetcher_before_the_caller_goes_on():
    """Planted bug this kills: leaving without joining the fetcher (it would still be
    blocked handing over page 4, using an HTTP client the caller is about to close)."""
    server = FakeServer(pages=100)
    with PagePrefetch(server.fetch, None) as pages:
        for page in pages:
            if page["n"] == 2:
                break  # say writing page 2 failed

    assert _fetchers() == []  # joined, not merely told to stop
    assert len(server.asked) <= 4  # pages 1 and 2, at most one waiting, one on the wire
