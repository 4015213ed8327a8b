"""Fetch the next pull page while the previous one is being written.

A page names the cursor of the next one, so page n+1 can be on the wire while page n
goes into SQLite. Pages are still handed out strictly in order and each is written with
its own cursor (see LocalStore.apply_pull_page), so a crash at any point resumes from
the last page written; a page fetched but never written is simply fetched again.
At most ``ahead`` pages wait in memory (a page is at most 5000 rows).
"""

import queue
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

Page = dict[str, Any]


class PagePrefetch:
    """Iterate the pages of one pull round, from ``cursor`` to the page without
    ``has_more``. An error while fetching is raised where the page would have been."""

    def __init__(
        self, fetch: Callable[[str | None], Page], cursor: str | None, ahead: int = 1
    ) -> None:
        self._fetch = fetch
        self._queue: queue.Queue[tuple[Page | None, BaseException | None]] = queue.Queue(ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(cursor,), name="pull-prefetch", daemon=True
        )

    def __enter__(self) -> "PagePrefetch":
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        """Stop fetching (the caller may leave early: an apply failed) and wait for the
        fetcher, so the HTTP client is not closed under it."""
        self._stop.set()
        self._thread.join()

    def __iter__(self) -> Iterator[Page]:
        while True:
            page, error = self._queue.get()
            if error is not None:
                raise error
            assert page is not None
            yield page
            if not page["has_more"]:
                return

    def _run(self, cursor: str | None) -> None:
        try:
            while not self._stop.is_set():
                page = self._fetch(cursor)
                self._put((page, None))
                if not page["has_more"]:
                    return
                cursor = page["cursor"]
        except BaseException as exc:  # handed to the consumer, raised in its thread
            self._put((None, exc))

    def _put(self, item: tuple[Page | None, BaseException | None]) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
