"""The till's side of the stream, event by event, against a scripted server: what it
asks for, what each event makes it do, and how each kind of ending is told apart."""

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from desktop.engine.live_feed import MARGIN_S, STREAM_PATH, Heard, LiveFeed

BASE = "http://till-server.test"
WAIT = 10.0


def sse(*events: str) -> bytes:
    return b"".join(f"event: {e}\ndata: {{}}\n\n".encode() for e in events)


class Scripted(httpx.AsyncBaseTransport):
    """Answers every stream request with ``answer``, noting each request."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


@pytest.fixture
def feed_for() -> Iterator[Callable[[Scripted], LiveFeed]]:
    made: list[LiveFeed] = []

    def make(transport: Scripted) -> LiveFeed:
        made.append(LiveFeed(transport))
        return made[-1]

    yield make
    for feed in made:
        feed.close()


def test_the_stream_asks_from_the_till_s_cursor_with_its_heartbeat(feed_for):
    server = Scripted(lambda r: httpx.Response(200, content=sse("ready", "end")))
    feed = feed_for(server)

    heard = feed.listen(BASE, "tok-1", "cursor-abc", 25.0, lambda: None).result(WAIT)

    assert heard is Heard.END
    [request] = server.requests
    assert request.url.path == STREAM_PATH
    assert request.url.params["cursor"] == "cursor-abc"
    assert float(request.url.params["heartbeat"]) == 25.0
    assert request.headers["authorization"] == "Bearer tok-1"
    assert request.extensions["timeout"]["read"] == 25.0 + MARGIN_S


def test_a_till_without_a_cursor_asks_without_one(feed_for):
    server = Scripted(lambda r: httpx.Response(200, content=sse("ready", "end")))

    feed_for(server).listen(BASE, "tok", None, 25.0, lambda: None).result(WAIT)

    assert "cursor" not in server.requests[0].url.params


def test_each_change_calls_back_and_heartbeats_do_not(feed_for):
    body = sse("ready", "changed", "heartbeat", "changed", "heartbeat", "end")
    server = Scripted(lambda r: httpx.Response(200, content=body))
    calls: list[str] = []

    heard = (
        feed_for(server)
        .listen(BASE, "tok", "c", 25.0, lambda: calls.append(threading.current_thread().name))
        .result(WAIT)
    )

    assert heard is Heard.END
    assert calls == ["feed", "feed"]  # twice, on the feed's own thread


@pytest.mark.parametrize(
    ("answer", "heard"),
    [
        (lambda r: httpx.Response(200, content=sse("ready", "poll")), Heard.POLL),
        (lambda r: httpx.Response(404, json={"code": "NOT_FOUND"}), Heard.POLL),
        (lambda r: httpx.Response(401, json={"code": "UNAUTHORIZED"}), Heard.FAILED),
        (lambda r: httpx.Response(200, content=sse("ready", "changed")), Heard.FAILED),
    ],
    ids=["told-to-poll", "older-server", "refused", "cut-without-a-word"],
)
def test_how_a_stream_ended_is_told_apart(feed_for, answer, heard):
    assert (
        feed_for(Scripted(answer)).listen(BASE, "t", "c", 25.0, lambda: None).result(WAIT) is heard
    )


def test_no_answer_at_all_is_a_failure_not_an_exception(feed_for):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    assert (
        feed_for(Scripted(refuse)).listen(BASE, "t", "c", 25.0, lambda: None).result(WAIT)
        is Heard.FAILED
    )


def test_a_new_token_or_server_gets_a_new_connection_with_it(feed_for):
    server = Scripted(lambda r: httpx.Response(200, content=sse("end")))
    feed = feed_for(server)

    for base, token in [(BASE, "old"), (BASE, "rotated"), ("http://other.test", "rotated")]:
        feed.listen(base, token, "c", 25.0, lambda: None).result(WAIT)

    assert [(r.url.host, r.headers["authorization"]) for r in server.requests] == [
        ("till-server.test", "Bearer old"),
        ("till-server.test", "Bearer rotated"),
        ("other.test", "Bearer rotated"),
    ]


def test_closing_the_feed_stops_its_thread(feed_for):
    others = {t for t in threading.enumerate() if t.name == "feed"}  # other tills' feeds
    feed = LiveFeed(Scripted(lambda r: httpx.Response(200, content=sse("end"))))
    feed.listen(BASE, "t", "c", 25.0, lambda: None).result(WAIT)
    own = [t for t in threading.enumerate() if t.name == "feed" and t not in others]

    feed.close()

    assert len(own) == 1
    assert not own[0].is_alive()
