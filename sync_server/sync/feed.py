"""The live change feed, server side: held requests woken by PostgreSQL LISTEN/NOTIFY.

Each server process keeps one ``Feed``: a listening connection that hears every
notification of the cluster on ``loyalty_changes`` and wakes the requests of this
process that wait for that merchant (and store), and a second connection that sends
the notifications of this process's commits, coalesced. Notifications go *after* the
writing transaction commits, in their own statement: a NOTIFY inside the writing
transaction takes PostgreSQL's global notify lock across the commit's flush, and cut
commit throughput 5-9x when measured (docs/sync-protocol.md, Live feed).

Nothing here is needed for correctness: the till's cursor is the truth, a held request
first checks it against the database, and a lost notification costs one heartbeat.
"""

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import Enum
from types import FrameType
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "loyalty_changes"
# A payload ending in this marks data the cursor does not cover (program, settings,
# store): the till must pull even though its cursor check finds nothing new.
CONFIG = ":config"
# While a writer older than a committed change holds the pull horizon back, look again
# this often (the change is not pullable yet, and no notification will say when it is).
RECHECK_S = 0.03
# A change held back for longer (a long transaction anywhere on the cluster holds the
# horizon): each waiter re-checks less often, up to once a second, so a thousand
# held requests do not query the database thirty times a second each.
RECHECK_MAX_S = 1.0
# The listening link is pinged this often: a link that died without a FIN is noticed.
PING_S = 30.0
PING_TIMEOUT_S = 10.0
RECONNECT_S = 1.0


class News(Enum):
    """What a till's cursor misses, as far as the database can tell right now."""

    PULLABLE = "pullable"  # a pull would hand out something new
    BLOCKED = "blocked"  # committed, but behind a writer that holds the horizon back
    NOTHING = "nothing"


class Answer(Enum):
    CHANGED = "changed"  # pull now
    HEARTBEAT = "heartbeat"  # nothing within the timeout: ask again (a stream: still here)
    POLL = "poll"  # no live feed here (SQLite, the listener is down, stopping): poll
    END = "end"  # a stream's lifetime is over: make a round, then open another


@dataclass(eq=False)
class _Waiter:
    store_id: int
    event: asyncio.Event = field(default_factory=asyncio.Event)
    config: bool = False  # woken by a change the cursor cannot see


class Feed:
    """Args:
    listen_url: a direct (session) PostgreSQL URL; None: no feed (SQLite).
    """

    def __init__(self, listen_url: str | None) -> None:
        self.listen_url = _libpq(listen_url) if listen_url else None
        self.live = False
        self._closed = False  # the server is stopping: stay down
        self._waiters: dict[int, set[_Waiter]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: asyncio.Queue[frozenset[str]] | None = None

    @property
    def waiting(self) -> int:
        return sum(len(w) for w in self._waiters.values())

    # -- held requests ----------------------------------------------------------------

    async def wait(
        self,
        merchant_id: int,
        store_id: int,
        timeout: float,
        check: Callable[[], Awaitable[News]],
        gone: Callable[[], Awaitable[Any]],
    ) -> Answer:
        """Answer CHANGED as soon as ``check`` finds news, HEARTBEAT after ``timeout``.

        The waiter is registered before the first check, so a change that commits
        after the check's snapshot is heard: no wake-up falls between the two. A
        notification is checked again before it is passed on (it may be this till's
        own push, already pulled), unless it is about what the cursor cannot see."""
        if not self.live:
            return Answer.POLL
        loop = asyncio.get_running_loop()
        waiter = _Waiter(store_id)
        self._waiters.setdefault(merchant_id, set()).add(waiter)
        client_gone = asyncio.ensure_future(gone())
        try:
            deadline = loop.time() + timeout
            blocked = 0
            while True:
                news = await check()
                if news is News.PULLABLE:
                    return Answer.CHANGED
                left = deadline - loop.time()
                if left <= 0:
                    return Answer.HEARTBEAT
                if news is News.BLOCKED:
                    pause = min(left, RECHECK_S * 2**blocked, RECHECK_MAX_S)
                    blocked += 1
                else:
                    pause, blocked = left, 0
                if not await _woken(waiter.event, client_gone, pause):
                    continue
                if not self.live:
                    return Answer.POLL
                if waiter.config:
                    return Answer.CHANGED
                waiter.event.clear()
        finally:
            client_gone.cancel()
            self._forget(merchant_id, waiter)

    async def stream(
        self,
        merchant_id: int,
        store_id: int,
        start: tuple[int, News],
        check: Callable[[int], Awaitable[tuple[News, int]]],
        gone: Callable[[], Awaitable[Any]],
        heartbeat: float,
        lifetime: float,
    ) -> AsyncIterator[Answer]:
        """A till's stream: CHANGED whenever what it sees may have changed, HEARTBEAT
        every ``heartbeat`` seconds in between (a keep-alive that costs no database
        call), END after ``lifetime``, POLL when the feed goes down.

        ``start`` is (the stamp to look from, what the till's cursor misses now: its
        first look, made before the stream opens). The stream cannot see the till's
        cursor move, so it remembers the horizon of its last CHANGED and checks from
        there: a change the till's round already brought may wake it once more, one
        never goes unannounced. After a
        CHANGED it looks again shortly, as after a check that found a change held back
        by an older writer, since no notification says when that one becomes
        pullable."""
        if not self.live:
            yield Answer.POLL
            return
        loop = asyncio.get_running_loop()
        waiter = _Waiter(store_id)
        self._waiters.setdefault(merchant_id, set()).add(waiter)
        client_gone = asyncio.ensure_future(gone())
        since, news = start
        due = news is News.PULLABLE
        try:
            ends = loop.time() + lifetime
            beat = loop.time() + heartbeat
            backoff = RECHECK_S
            # When to look without a note: a change held back by an older writer.
            look_at = loop.time() + backoff if news is News.BLOCKED else None
            while True:
                if due:
                    yield Answer.CHANGED
                    due, backoff = False, RECHECK_S
                    look_at = loop.time() + backoff
                now = loop.time()
                if now >= ends:
                    yield Answer.END
                    return
                if now >= beat:
                    yield Answer.HEARTBEAT
                    beat = now + heartbeat
                wake_at = min(beat, ends, look_at if look_at is not None else ends)
                woken = await _woken(waiter.event, client_gone, max(wake_at - now, 0.0))
                if not self.live:
                    yield Answer.POLL
                    return
                if waiter.config:  # what the cursor cannot see: pull without a check
                    waiter.config, due = False, True
                    waiter.event.clear()
                    continue
                if not woken and (look_at is None or loop.time() < look_at):
                    continue
                waiter.event.clear()  # a note during the check wakes the next look
                news, present = await check(since)
                if news is News.PULLABLE:
                    since, due = present, True
                elif news is News.BLOCKED:
                    look_at = loop.time() + backoff
                    backoff = min(backoff * 2, RECHECK_MAX_S)
                else:
                    look_at = None
        except ClientGone:
            return
        finally:
            client_gone.cancel()
            self._forget(merchant_id, waiter)

    def _forget(self, merchant_id: int, waiter: _Waiter) -> None:
        waiters = self._waiters.get(merchant_id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._waiters[merchant_id]

    def _dispatch(self, payload: str) -> None:
        """``<merchant>:<store or *>[:config]``; anything else is ignored."""
        merchant, _, rest = payload.partition(":")
        store, _, kind = rest.partition(":")
        if not merchant.isdigit():
            return
        for waiter in self._waiters.get(int(merchant), ()):
            if store in ("*", str(waiter.store_id)):
                waiter.config = waiter.config or kind == "config"
                waiter.event.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for waiter in waiters:
                waiter.event.set()

    # -- notifications out ------------------------------------------------------------

    def publish(self, payloads: Iterable[str]) -> None:
        """Called after a commit, from any thread: queue the payloads for the sender.
        Dropped when the feed is down (a till then learns within its heartbeat)."""
        loop, outbox = self._loop, self._outbox
        if loop is None or outbox is None or not self.live:
            return
        batch = frozenset(payloads)
        if batch:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(outbox.put_nowait, batch)

    # -- the connections --------------------------------------------------------------

    async def run(self) -> None:
        """Listen and send until cancelled; on any loss, tell every waiter to poll,
        then connect again."""
        assert self.listen_url is not None
        self._loop = asyncio.get_running_loop()
        self._outbox = asyncio.Queue()
        while not self._closed:
            try:
                async with (
                    await _connect(self.listen_url) as listening,
                    await _connect(self.listen_url) as sending,
                ):
                    await listening.execute(f"LISTEN {CHANNEL}")
                    self.live = not self._closed
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self._listen(listening))
                        group.create_task(self._send(sending))
            except* (psycopg.Error, OSError, TimeoutError) as lost:
                log.warning("live feed connection lost: %s", lost.exceptions[0])
            except* Exception:
                log.exception("live feed failed")
            finally:
                self.stop()
            await asyncio.sleep(RECONNECT_S)

    def stop(self) -> None:
        """Not live: every waiter answers POLL now, and new ones at once."""
        self.live = False
        self._wake_all()

    def close(self) -> None:
        """The server stops: answer every held request and do not connect again."""
        self._closed = True
        self.stop()

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while True:
            async for note in conn.notifies(timeout=PING_S):
                self._dispatch(note.payload)
            await asyncio.wait_for(conn.execute("SELECT 1"), PING_TIMEOUT_S)

    async def _send(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Pinged like the listening link when idle, so a link a balancer or a dead
        peer cut is found before a notification needs it; a batch whose send failed
        goes back in the queue, sent again once connected (a repeat only makes
        waiters check their cursor once more)."""
        outbox = self._outbox
        assert outbox is not None
        while True:
            try:
                batch = set(await asyncio.wait_for(outbox.get(), PING_S))
            except TimeoutError:
                await asyncio.wait_for(conn.execute("SELECT 1"), PING_TIMEOUT_S)
                continue
            while not outbox.empty():  # what queued meanwhile goes in one statement
                batch |= outbox.get_nowait()
            try:
                await conn.execute(
                    "SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p",
                    (CHANNEL, sorted(batch)),
                )
            except BaseException:
                outbox.put_nowait(frozenset(batch))
                raise


async def _woken(event: asyncio.Event, client_gone: "asyncio.Future[Any]", pause: float) -> bool:
    """Whether ``event`` was set within ``pause``; raises when the client went away."""
    woken = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({woken, client_gone}, timeout=pause, return_when="FIRST_COMPLETED")
    finally:
        woken.cancel()
    if client_gone.done():
        raise ClientGone
    return event.is_set()


class ClientGone(Exception):
    """The till closed its held request (a local op came, or it stopped)."""


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(
        url,
        autocommit=True,
        connect_timeout=10,
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
    )


def _libpq(url: str) -> str:
    """A libpq address: without the driver and without what only the server's engine
    reads (``prepare_threshold``, sync_server/db.py), which libpq would refuse."""
    parsed = make_url(url).difference_update_query(["prepare_threshold"])
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def feed_url(database_url: str, listen_url: str | None) -> str | None:
    """Where the feed listens: LISTEN_DATABASE_URL, else DATABASE_URL; None on SQLite."""
    url = listen_url or database_url
    return url if make_url(url).get_backend_name() == "postgresql" else None


@asynccontextmanager
async def running(feed: Feed) -> AsyncIterator[None]:
    """Run the feed while the app serves (its lifespan); a stop signal answers the
    held requests at once (uvicorn waits for every request before it stops)."""
    if feed.listen_url is None:
        yield
        return
    task = asyncio.create_task(feed.run())
    _answer_waiters_on_stop(feed, asyncio.get_running_loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        feed.close()


def _answer_waiters_on_stop(feed: Feed, loop: asyncio.AbstractEventLoop) -> None:
    """Chain onto the server's SIGTERM/SIGINT handlers (only the main thread may)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(
            signum: int, frame: FrameType | None, previous: Callable[..., Any] = previous
        ) -> None:
            loop.call_soon_threadsafe(feed.close)
            previous(signum, frame)

        signal.signal(sig, handler)
