"""Real tills (the desktop engine's SyncClient and SQLite store) that watch a chaos run:
they pull through the faulty proxy with the live feed on and check their cache against
the server's digests at every round. At the end each pulls once more, straight from the
server, and must hold exactly the server's state: its digests equal, nothing re-pulled.
A notification carries no data, so a feed that drops or duplicates can only make a till
late, never wrong; this is where that is shown under faults and a kill -9."""

import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.engine.local_store import LocalStore
from desktop.engine.sync_client import SyncClient
from desktop.engine.tokens import MemoryTokens

# Held waits end at this heartbeat: short, so a run of a minute sees many of them.
HEARTBEAT_S = 5.0


@dataclass
class Watcher:
    name: str
    client: SyncClient
    thread: threading.Thread | None = None


class Watchers:
    """Start with ``start``; ``finish`` stops them and returns the run's figures."""

    def __init__(self, server_url: str, proxy_url: str, codes: list[str]) -> None:
        self.server_url, self.proxy_url, self.codes = server_url, proxy_url, codes
        self._tmp = tempfile.TemporaryDirectory(prefix="chaos-watch-")
        self._stop = threading.Event()
        self.watchers: list[Watcher] = []

    def start(self) -> None:
        for i, code in enumerate(self.codes):
            store = LocalStore(Path(self._tmp.name) / f"watch{i}.db")
            # Every round asks for the digests: the run's data is small.
            client = SyncClient(store, MemoryTokens(), digest_every=0.0)
            client.pair(self.server_url, code, f"watch-{i}")  # a code is used once
            with store.transaction() as conn:  # from now on through the faults
                store.set_meta(conn, "base_url", self.proxy_url)
            watcher = Watcher(f"watch-{i}", client)
            watcher.thread = threading.Thread(
                target=client.run,
                args=(self._stop,),
                kwargs={"interval": 1.0, "max_backoff": 2.0, "heartbeat": HEARTBEAT_S},
                daemon=True,
            )
            watcher.thread.start()
            self.watchers.append(watcher)

    def abandon(self) -> None:
        """Stop without a verdict (the run itself failed)."""
        self.halt()
        for w in self.watchers:
            w.client.close()
        self._tmp.cleanup()

    def settle(self, seconds: float = 30.0) -> None:
        """Wait (bounded) until each till has completed a digest-checked round of its
        own through the faults, beyond its first sync: a short run may end while every
        round a till tried was cut, and then nothing would show its rounds work through
        the proxy. Woken each second, as a ``changed`` would; the proxy stays faulty."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            behind = [w for w in self.watchers if _checks(w) < 2]
            if not behind:
                return
            for w in behind:
                w.client.wake()
            time.sleep(1.0)

    def halt(self) -> None:
        """Stop their background rounds (idempotent): what changes on the server after
        this is for ``finish``'s last check alone to find."""
        self._stop.set()
        for w in self.watchers:
            w.client.wake()
        for w in self.watchers:
            if w.thread is not None:
                w.thread.join(30)
        stuck = [w.name for w in self.watchers if w.thread is not None and w.thread.is_alive()]
        if stuck:
            raise RuntimeError(f"watching tills did not stop within 30 s: {stuck}")

    def catch_up(self) -> None:
        """One round each straight from the server, after ``halt``: each till then holds
        every row written so far, so a change made behind the feed's back (a tamper)
        can only be found by the digests of ``finish``'s check, never pulled in as news.
        A till that was behind when halted would otherwise pull the tampered row as the
        latest version of one it had not seen yet, and agree with it."""
        for w in self.watchers:
            store = w.client.store
            with store.transaction() as conn:
                store.set_meta(conn, "base_url", self.server_url)
            self._round(w)

    def finish(self) -> dict[str, Any]:
        self.halt()
        checks_during = repairs_during = 0
        diverged, unchecked = [], []
        for w in self.watchers:
            store = w.client.store
            checks_during += int(store.get_meta("digest_checks", 0))
            repairs_during += int(store.get_meta("digest_repairs", 0))
            with store.transaction() as conn:
                store.set_meta(conn, "base_url", self.server_url)
            repairs = int(store.get_meta("digest_repairs", 0))
            problem = self._round(w)
            if problem is not None:
                unchecked.append(f"{w.name}: {problem}")
            elif int(store.get_meta("digest_repairs", 0)) > repairs or store.get_meta(
                "digest_divergent", []
            ):
                diverged.append(w.name)
            w.client.close()
        self._tmp.cleanup()
        if unchecked:
            raise RuntimeError(f"watching tills could not make their final check: {unchecked}")
        return {
            "watch_tills": len(self.watchers),
            "watch_digest_checks": checks_during,
            "watch_buckets_repaired_during": repairs_during,
            "watch_tills_diverged_at_end": len(diverged),
        }

    @staticmethod
    def _round(w: Watcher) -> str | None:
        """Sync until one digest check is made (a till that never got through makes a
        first sync first); what stopped it otherwise."""
        store = w.client.store
        before = int(store.get_meta("digest_checks", 0))
        for _ in range(3):
            state = w.client.sync_once()
            if int(store.get_meta("digest_checks", 0)) > before or not state.online:
                break
        if not state.online or int(store.get_meta("digest_checks", 0)) == before:
            return state.error or "no digest check"
        return None


def _checks(w: Watcher) -> int:
    return int(w.client.store.get_meta("digest_checks", 0))
