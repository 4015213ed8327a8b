"""The sync protocol, terminal side, top to bottom: pair, push the outbox in seq order,
pull until has_more is false, hold a wait on the live feed until the store's data
changes (or poll a server without one), back off on failure (or, while the server
cannot be reached at all, knock cheaply until it answers), and say how things stand.

Runs in a background thread (``run``); the UI only listens to ``on_state``.
"""

import concurrent.futures
import contextlib
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
import keyring
from keyring.errors import PasswordDeleteError
from pydantic_core import from_json
from sqlalchemy import text

from common import protocol, retention
from common.card_number import MAX_NODE
from desktop.engine import digest_check, pull_page, push_answer, server_address
from desktop.engine.live_feed import MARGIN_S, Heard, LiveFeed
from desktop.engine.local_store import LocalStore, OutboxEntry
from desktop.engine.prefetch import PagePrefetch

log = logging.getLogger(__name__)
KEYRING_SERVICE = "loyalty-terminal"
# Rows per pull page (the server's cap): fewer round trips, transactions and fsyncs.
PULL_PAGE_ROWS = 5000
# While the server cannot be reached, one GET /health about every second (a refused
# connection costs microseconds; an answer costs no database call): the till is back
# online within about a second of the server, not after a minute of backoff.
PROBE_INTERVAL_S = 1.0
PROBE_TIMEOUT_S = 1.0
# The live feed's heartbeat: the server sends one this often on a quiet stream, and a
# stream silent for longer (plus a margin) is taken for dead. Below the idle timeouts
# of the usual proxies and NATs (30-60 s). The server ends each stream after about
# half an hour; the till then makes a round and opens another.
FEED_HEARTBEAT_S = 25.0
# A server that says it has no live feed (SQLite, its listener down) is polled this long
# before the till asks again.
FEED_RETRY_S = 60.0
PRUNE_EVERY = timedelta(hours=1)
# How often a round asks for the server's digests and checks the cache against them
# (docs/sync-protocol.md, "Digests"): the first round after start, then this often.
DIGEST_EVERY_S = 900.0


class TokenStore(Protocol):
    def get(self) -> str | None: ...
    def set(self, token: str) -> None: ...
    def delete(self) -> None: ...


class KeyringTokens:
    """The device token in the OS keyring, never in a plain file of ours."""

    def __init__(self, account: str) -> None:
        self.account = account

    def get(self) -> str | None:
        return keyring.get_password(KEYRING_SERVICE, self.account)

    def set(self, token: str) -> None:
        keyring.set_password(KEYRING_SERVICE, self.account, token)

    def delete(self) -> None:
        with contextlib.suppress(PasswordDeleteError):
            keyring.delete_password(KEYRING_SERVICE, self.account)


@dataclass(frozen=True, slots=True)
class SyncState:
    online: bool = False
    pending: int = 0
    rejected: int = 0  # on the attention list: refused, or applied with a warning
    last_sync_at: datetime | None = None
    needs_pairing: bool = False
    error: str | None = None
    # While a pull runs: rows received so far in this round (the first sync is long).
    pulling: bool = False
    received: int = 0
    # The server answered 426: it no longer (or not yet) speaks this till's protocol.
    # The till works offline, its outbox kept, until it is updated.
    needs_update: bool = False
    # Buckets of the cache that still differed from the server's after a re-pull.
    divergent: int = 0


class PairingFailed(Exception):
    """Wrong URL, no network, or a wrong, used or expired code: the message says which."""


class SyncClient:
    """Args:
    allow_insecure_http: talk plain http:// to a server that is not this machine (a
        lab; see ``server_address``).
    transport: the HTTP transport (tests serve answers from a fake one).
    feed_transport: the live feed's asynchronous transport; by default ``transport``
        when it can serve asynchronously too, else a real one.
    """

    def __init__(
        self,
        store: LocalStore,
        tokens: TokenStore,
        on_state: Callable[[SyncState], None] | None = None,
        batch: int = 100,
        timeout: float = 10.0,
        pull_rows: int = PULL_PAGE_ROWS,
        allow_insecure_http: bool = False,
        transport: httpx.BaseTransport | None = None,
        feed_transport: httpx.AsyncBaseTransport | None = None,
        digest_every: float = DIGEST_EVERY_S,
    ) -> None:
        self.store = store
        self.allow_insecure_http = allow_insecure_http
        self._transport = transport
        self.tokens = tokens
        self.on_state = on_state or (lambda _: None)
        self.batch = batch
        self.pull_rows = pull_rows
        self.timeout = timeout
        self.state = SyncState(needs_pairing=tokens.get() is None)
        self._wake = threading.Event()
        self._publishing = threading.RLock()  # a listener may publish again
        self._http: httpx.Client | None = None
        self._http_for: tuple[str, str] | None = None
        # The last round failed before any answer came (no route, refused, timed out):
        # probing is then worth more than backing off.
        self._unreachable = False
        if feed_transport is None and isinstance(transport, httpx.AsyncBaseTransport):
            feed_transport = transport
        self._feed = LiveFeed(feed_transport)
        self._stream: concurrent.futures.Future[Heard] | None = None
        self._stream_for: tuple[str, str] | None = None
        self._feed_off_until = 0.0  # poll until then (the feed failed or is absent)
        self.digest_every = digest_every
        self._digests_due = 0.0  # monotonic time from which a round asks for digests

    # -- pairing ----------------------------------------------------------------------

    def pair(self, base_url: str, code: str, name: str = "Till") -> None:
        refused = server_address.refusal(base_url, self.allow_insecure_http)
        if refused is not None:
            raise PairingFailed(refused)
        base_url = base_url.strip()
        try:
            with httpx.Client(
                transport=self._transport, timeout=self.timeout, headers=protocol.till_headers()
            ) as http:
                response = http.post(
                    f"{base_url.rstrip('/')}/api/v1/sync/pair", json={"code": code, "name": name}
                )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise PairingFailed(
                f"No answer from {base_url}: check the address and the network."
            ) from exc
        if response.status_code != 200:
            raise PairingFailed(_pairing_error(response, base_url))
        body = _pairing_answer(response)
        if body is None:
            raise PairingFailed(f"{base_url} is not a loyalty server (its answer makes no sense).")
        self.tokens.set(body["device_token"])
        with self.store.transaction() as conn:
            for key in ("terminal_id", "store_id", "merchant_id", "card_node"):
                self.store.set_meta(conn, key, body[key])
            self.store.set_meta(conn, "base_url", base_url.rstrip("/"))
        self._publish(needs_pairing=False)

    # -- one round --------------------------------------------------------------------

    def sync_once(self) -> SyncState:
        token, base = self.tokens.get(), self.store.get_meta("base_url")
        if token is None or base is None:
            return self._publish(needs_pairing=True, online=False)
        refused = server_address.refusal(str(base), self.allow_insecure_http)
        if refused is not None:  # never send the token in clear
            return self._publish(online=False, pulling=False, error=refused)
        self._unreachable = False
        try:
            http = self._client(base, token)
            self._push(http)
            self._pull(http)
        except httpx.TransportError as exc:
            self._unreachable = True
            return self._publish(online=False, pulling=False, error=str(exc) or type(exc).__name__)
        except _Outdated as exc:
            return self._publish(online=False, pulling=False, needs_update=True, error=str(exc))
        except _Revoked:
            self._wipe()
            return self._publish(
                needs_pairing=True, online=False, pulling=False, error="This till was unpaired."
            )
        except (httpx.HTTPError, _ServerError) as exc:
            return self._publish(online=False, pulling=False, error=str(exc) or type(exc).__name__)
        self._prune_if_due()
        return self._publish(
            online=True, error=None, needs_update=False, last_sync_at=datetime.now(UTC)
        )

    def _push(self, http: httpx.Client) -> None:
        while True:
            entries = self.store.entries()[: self.batch]
            failures = self._unsent_pin_failures()
            if not entries and not failures:
                return
            ops = [
                {
                    "op_id": e.op_id,
                    "seq": e.seq,
                    "staff_pin_id": e.staff_pin_id,
                    "client_time": e.client_time.isoformat(),
                    "offline": e.offline,
                    "snapshot_age_s": e.snapshot_age_s,
                    "body": e.op.model_dump(mode="json"),
                }
                for e in entries
            ]
            body = {"sent_at": self._till_time().isoformat(), "ops": ops, "pin_failures": failures}
            answer = _checked(http.post("/api/v1/sync/push", json=body))
            answered = push_answer.outcomes(answer, {e.op_id for e in entries})
            if answered is None:
                raise _ServerError(
                    "The server's answer to the sync cannot be read; "
                    f"{len(entries)} operations wait and will be sent again."
                )
            self.store.record_outcomes(answered)
            self._mark_sent([f["event_id"] for f in failures])
            if len(answered) < len(entries):  # else the same batch would go again at once
                raise _ServerError(
                    f"The server gave no verdict on {len(entries) - len(answered)} "
                    "operations; they wait and will be sent again."
                )

    def _pull(self, http: httpx.Client) -> None:
        """Pages in the compact format, the next one fetched while this one is written;
        the last page of the round settles the outbox in its own transaction, and is
        checked against the server's digests when they are due."""
        cursor = self.store.get_meta("cursor")
        digests = time.monotonic() >= self._digests_due
        if cursor is None:  # a first sync: the cache is the server's, checked when due
            self._digests_due = time.monotonic() + self.digest_every
            digests = False

        def fetch(cursor: str | None) -> dict[str, Any]:
            params: dict[str, Any] = {"limit": self.pull_rows, "format": "columns"}
            if cursor:
                params["cursor"] = cursor
            if digests:
                params["digests"] = "true"
            page = _checked(http.get("/api/v1/sync/pull", params=params), fast=True)
            problem = pull_page.problem(page)
            if problem is not None:  # refused before a row of it is written
                raise _ServerError(f"The server sent data the till cannot use: {problem}.")
            assert isinstance(page, dict)
            return page

        first = fetch(cursor)
        if not first["has_more"]:  # most rounds: no thread for the fetcher
            self.store.apply_pull_page(first, settle=True)
            self._check_digests(http, first)
            self._publish(pulling=False)
            return
        received = 0
        with PagePrefetch(fetch, first["cursor"]) as rest:
            for page in itertools.chain([first], rest):
                last = not page["has_more"]
                received += self.store.apply_pull_page(page, settle=last)
                if last:
                    self._check_digests(http, page)
                    self._publish(pulling=False)
                    return
                self._publish(pulling=True, received=received)

    def _check_digests(self, http: httpx.Client, page: dict[str, Any]) -> None:
        """Compare the cache with the digests of a final page and re-pull the buckets
        that differ (``digest_check``); a page without digests (not asked, or an older
        server) checks nothing."""
        if page.get("digests") is None:
            return

        def fetch(names: str) -> Any:
            return _checked(http.get("/api/v1/sync/buckets", params={"names": names}), fast=True)

        try:
            verdict = digest_check.check(self.store, page["digests"], fetch)
        except digest_check.Unusable as exc:
            raise _ServerError(str(exc)) from exc
        self._digests_due = time.monotonic() + self.digest_every
        if verdict.differed:
            log.warning("cache differed from the server in %s; re-pulled", verdict.differed)
        if verdict.still:
            log.error("cache still differs after a re-pull in %s", verdict.still)

    def _client(self, base: str, token: str) -> httpx.Client:
        """One HTTP client while the server and token stay the same: making one costs
        tens of milliseconds (its TLS context), more than an incremental pull, and it
        keeps the connection alive between rounds."""
        if self._http is None or self._http_for != (base, token):
            self._close_http()
            self._http = httpx.Client(
                base_url=base,
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {token}", **protocol.till_headers()},
                transport=self._transport,
            )
            self._http_for = (base, token)
        return self._http

    def close(self) -> None:
        self._close_http()
        self._drop_stream()
        self._feed.close()

    def _close_http(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- background -------------------------------------------------------------------

    def run(
        self,
        stop: threading.Event,
        interval: float = 5.0,
        max_backoff: float = 60.0,
        probe_interval: float = PROBE_INTERVAL_S,
        heartbeat: float = FEED_HEARTBEAT_S,
    ) -> None:
        """Sync, then listen on the live feed and sync again as soon as the server says
        the store's data changed, when its stream ends (about every half hour), or at
        once when woken (a new op, a redemption waiting for its verdict). The feed's
        ``heartbeat`` says how long a silent stream lives. A server without a feed, or a
        feed that failed, is polled every ``interval`` seconds. After a failed round: if
        the server was unreachable, probe it every ``probe_interval`` and sync as soon
        as it answers; if it answered with an error, wait exponentially longer. Both
        with jitter, so a shop's tills do not all come back at the same instant. To
        stop: set ``stop``, then ``wake()``."""
        failures = 0
        while not stop.is_set():
            try:
                state = self.sync_once()
            except Exception as exc:  # a bug or a full disk: say so, keep the worker alive
                log.exception("sync round failed")
                self._unreachable = False
                state = self._publish(
                    online=False, pulling=False, error=f"Sync failed in the till ({exc!r})."
                )
            failures = 0 if state.online else failures + 1
            wait = interval if failures == 0 else min(max_backoff, interval * 2 ** (failures - 1))
            if self._unreachable:
                self._probe_until_answered(stop, wait, probe_interval)
            elif not (state.online and self._held_until_round(stop, heartbeat, interval)):
                self._wake.wait(wait * random.uniform(0.8, 1.2))  # noqa: S311 - jitter
            self._wake.clear()
        self._drop_stream()

    def _held_until_round(self, stop: threading.Event, heartbeat: float, interval: float) -> bool:
        """Listen on the live feed until a round is due: a change announced, a local op
        (``wake``), the stream's end or its failure. The stream stays open across the
        rounds it asks for. False: poll this server now."""
        stream = self._listening(heartbeat, interval)
        if stream is None:
            return False
        self._wake.wait(heartbeat + MARGIN_S + 10.0)  # the read timeout ends it first
        return stop.is_set() or not stream.done() or self._ended(interval)

    def _ended(self, interval: float) -> bool:
        """Take the ended stream's word. False: poll this server now (it has no feed).
        After a failure: a round at once, then polling for an ``interval``."""
        stream, self._stream = self._stream, None
        heard = Heard.FAILED if stream is None or stream.cancelled() else stream.result()
        if heard is Heard.POLL:
            self._feed_off_until = time.monotonic() + FEED_RETRY_S
            return False
        if heard is Heard.FAILED:
            log.info("live feed failed: polling for %.0f s", interval)
            self._feed_off_until = time.monotonic() + interval
        return True

    def _listening(
        self, heartbeat: float, interval: float
    ) -> "concurrent.futures.Future[Heard] | None":
        """The open stream, opened now if need be (from the cursor of now); None when
        this server is to be polled now (no feed, or it failed lately)."""
        if self._stream is not None and self._stream.done():
            self._ended(interval)  # it ended during a round
        token, base = self.tokens.get(), self.store.get_meta("base_url")
        if time.monotonic() < self._feed_off_until or token is None or base is None:
            return None
        if self._stream is not None:
            if self._stream_for == (str(base), token):
                return self._stream
            self._stream.cancel()  # paired anew, or another server
        self._stream_for = (str(base), token)
        self._stream = self._feed.listen(
            str(base), token, self.store.get_meta("cursor"), heartbeat, self._wake.set
        )
        self._stream.add_done_callback(lambda _: self._wake.set())
        return self._stream

    def _drop_stream(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None

    def _pending(self) -> int:
        with self.store.engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM outbox WHERE status = 'pending'")
                ).scalar_one()
            )

    def _probe_until_answered(self, stop: threading.Event, longest: float, every: float) -> None:
        """Return when the server answers a probe, when woken, or after ``longest``
        (then a full round tries anyway: a probe can pass where a round cannot)."""
        deadline = time.monotonic() + longest
        while not stop.is_set() and time.monotonic() < deadline:
            if self._wake.wait(every * random.uniform(0.8, 1.2)):  # noqa: S311 - jitter
                return
            if self._answers():
                log.info("server answers again: syncing")
                return

    def _answers(self) -> bool:
        """Whether the server answers at all (GET /health: no token, no database)."""
        base = self.store.get_meta("base_url")
        if base is None:
            return False
        try:
            with httpx.Client(
                transport=self._transport, timeout=PROBE_TIMEOUT_S, headers=protocol.till_headers()
            ) as http:
                return http.get(f"{base}/health").status_code == 200
        except httpx.HTTPError:
            return False

    def refresh_state(self) -> SyncState:
        """Recount pending and attention ops (after an acknowledgement) and tell."""
        return self._publish()

    def wake(self) -> None:
        self._wake.set()

    def await_verdict(self, op_id: str, timeout: float) -> OutboxEntry | None:
        """Wake the worker and wait (bounded) until the server has answered ``op_id``.
        Needs ``run`` going in its thread; the answer is read from the outbox."""
        self.wake()
        deadline = time.monotonic() + timeout
        while True:
            entry = self.store.entry(op_id)
            if entry is not None and entry.status != "pending":
                return entry
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)

    # -- helpers ----------------------------------------------------------------------

    def _prune_if_due(self) -> None:
        """At most hourly, after a round that landed: forget what the merchant's window
        no longer keeps (common/retention.py), so a till that runs for years stays small."""
        now = self.store.local_now()
        last = self.store.get_meta("pruned_at")
        if last is not None and now - datetime.fromisoformat(str(last)) < PRUNE_EVERY:
            return
        days = (self.store.get_meta("settings") or {}).get("history_days")
        removed = self.store.prune(retention.prune_before(now, days))
        with self.store.transaction() as conn:
            self.store.set_meta(conn, "pruned_at", now.isoformat())
        if any(removed.values()):
            log.info("pruned what the till no longer keeps: %s", removed)

    def _till_time(self) -> datetime:
        """The same corrected clock the till dated its ops with, so the server's own
        skew correction (client_time + server_now - sent_at) adds nothing wrong."""
        offset = float(self.store.get_meta("clock_offset_s", 0))
        return self.store.local_now() + timedelta(seconds=offset)

    def _unsent_pin_failures(self) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = (
                conn.execute(
                    text(
                        "SELECT event_id, staff_pin_id, occurred_at FROM pin_failures "
                        "WHERE sent = 0 LIMIT 100"
                    )
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def _mark_sent(self, event_ids: list[str]) -> None:
        with self.store.transaction() as conn:
            for event_id in event_ids:
                conn.execute(
                    text("UPDATE pin_failures SET sent = 1 WHERE event_id = :e"), {"e": event_id}
                )

    def _wipe(self) -> None:
        """A revoked till forgets everything: customers' data must not stay on a till
        that is no longer trusted."""
        self.tokens.delete()
        self.store.wipe()
        self.close()

    def _publish(self, **changes: Any) -> SyncState:
        """Recount and tell. The sync thread and the UI thread (a queued op, an
        acknowledgement) both publish: one at a time, or one's change of ``online``
        could be overwritten by the other's stale copy of the state."""
        with self._publishing:
            pending = self._pending()
            rejected = self.store.attention_count()
            divergent = len(self.store.get_meta("digest_divergent") or [])
            self.state = replace(
                self.state, pending=int(pending), rejected=rejected, divergent=divergent, **changes
            )
            self.on_state(self.state)
            return self.state


class _Revoked(Exception):
    pass


class _ServerError(Exception):
    pass


class _Outdated(Exception):
    """426: the server does not speak this till's protocol version."""


def _checked(response: httpx.Response, fast: bool = False) -> Any:
    """The JSON body of a 200, whatever its shape (the caller checks it); ``fast``:
    parsed by pydantic-core (several times quicker than ``json`` on a page of thousands
    of rows)."""
    if response.status_code == 401:
        raise _Revoked
    if response.status_code == 426:
        raise _Outdated(_message(response))
    if response.status_code != 200:
        raise _ServerError(_message(response))
    try:
        return from_json(response.content) if fast else response.json()
    except ValueError as exc:  # an empty body, a proxy's HTML page, a cut-off answer
        raise _ServerError(
            "The server's answer is not readable (HTTP 200 without JSON): "
            "a proxy or another web server may stand in between."
        ) from exc


def _pairing_answer(response: httpx.Response) -> dict[str, Any] | None:
    """The pairing answer, if it holds a token and this till's ids."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    token = body.get("device_token")
    ids = [body.get(k) for k in ("terminal_id", "store_id", "merchant_id")]
    node = body.get("card_node")
    if not (isinstance(token, str) and token.isascii() and token.isprintable() and token):
        return None
    if not all(type(i) is int and 0 < i < 2**63 for i in ids):
        return None
    return body if type(node) is int and 0 <= node <= MAX_NODE else None


def _pairing_error(response: httpx.Response, base_url: str) -> str:
    """Our server always answers with a JSON error code; anything else is the wrong
    address (a router page, another web server)."""
    if not isinstance(_error_body(response).get("code"), str):
        return f"{base_url} is not a loyalty server (HTTP {response.status_code})."
    return _message(response)


def _message(response: httpx.Response) -> str:
    """The server's message of a refusal, or what HTTP said (a proxy's error page)."""
    message = _error_body(response).get("message")
    if isinstance(message, str) and message.strip():
        return message[:500]
    return f"The server answered HTTP {response.status_code} {response.reason_phrase}."


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
