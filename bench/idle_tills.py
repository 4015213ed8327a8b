"""``python -m bench.idle_tills``: how many connected, idle tills one server process
holds, and at what cost.

One uvicorn worker on PostgreSQL with its live feed. N tills (simulated with raw
asyncio sockets, so the client stays light beside the server on the same machine)
each do what an idle till does (desktop/engine/sync_client.py): keep its stream open
(``GET /api/v1/sync/stream``, a heartbeat event every 25 s) and, when the stream ends
(the server's ``stream_lifetime_s``, 1,800 s), make a round (a pull, nothing changed) and
open another. A shop's tills came online at different moments, so each till's first
stream is cut at a random point of the lifetime: over the window, the share of tills
making their round is the one of a day's steady state (window / lifetime).
``--mode wait`` measures the held request the till used before (``GET
/api/v1/sync/wait`` held per heartbeat, a pull every ``--pull-every`` heartbeats).
Once all N are connected and a heartbeat has passed, the server's CPU time (master and
worker, from /proc) is read over the window, and its resident memory.
``idle_tills_per_server``: the largest N measured that costs at most 5 % of one core.
All traffic is on loopback; every step has a deadline.
"""

import argparse
import asyncio
import json
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.chaos import drop_database, fresh_database
from bench.propagation import private_cluster
from bench.seeding import PROGRAM
from bench.server_process import ServerProcess
from sync_server.auth import accounts
from sync_server.db import make_engine, make_session_factory
from sync_server.services import pairing, programs

HEARTBEAT_S = 25.0
LIFETIME_S = 1800.0  # the server's default stream_lifetime_s
PULL_EVERY = 12  # held waits: the till's quiet heartbeats per round before the stream
CPU_BUDGET = 0.05  # of one core
# Long enough that the rounds of stream ends in it (window / lifetime of the tills) are
# more than a handful at every level measured.
WINDOW_S = 4 * HEARTBEAT_S
DEADLINE_S = 1500.0
ARRIVING = 16
CLK = os.sysconf("SC_CLK_TCK")


def _tokens(url: str, count: int) -> list[str]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with factory() as session:
        merchant = accounts.create_merchant(session, "Idle Café")
        owner = accounts.create_user(session, merchant.id, "owner@idle.example", "idle-owner")
        programs.create(session, merchant.id, dict(PROGRAM))
        store = accounts.create_store(session, merchant.id, "Store", "Europe/Paris")
        tokens = []
        for i in range(count):
            code = pairing.issue_code(session, store, owner.id, now)
            paired = pairing.redeem_code(session, code.code, f"idle-{i}", now)
            assert paired is not None
            tokens.append(paired.device_token)
        session.commit()
    engine.dispose()
    return tokens


def _tree(pid: int) -> list[int]:
    pids, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
            pids.append(int(child))
            frontier.append(int(child))
    return pids


def _cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


async def _ask(writer: asyncio.StreamWriter, target: str, token: str) -> None:
    writer.write(
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Loyalty-Protocol: 1\r\n\r\n".encode()
    )
    await writer.drain()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: str, token: str
) -> dict[str, Any]:
    await _ask(writer, target, token)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    status = int(head.split(b" ", 2)[1])
    body = json.loads(await reader.readexactly(length))
    if status == 503:  # busy: as a till, come back in a moment
        await asyncio.sleep(1.0)
        return await _exchange(reader, writer, target, token)
    if status != 200:
        raise RuntimeError(f"{target.split('?')[0]} answered {status}: {body}")
    return dict(body)


async def _first_sync(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str
) -> str:
    page = await _exchange(reader, writer, "/api/v1/sync/pull?limit=5000", token)
    while page["has_more"]:
        target = f"/api/v1/sync/pull?cursor={quote(page['cursor'])}"
        page = await _exchange(reader, writer, target, token)
    return quote(page["cursor"])


async def _till_waiting(
    port: int,
    token: str,
    connected: asyncio.Event,
    counts: dict[str, int],
    pull_every: int,
    arriving: asyncio.Semaphore,
    phase: float,
) -> None:
    """The till before the stream: held waits. ``phase`` (0-1): where in its cycle of
    quiet heartbeats it starts, so that the tills' rounds spread over time."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with arriving:
            cursor = await _first_sync(reader, writer, token)
        _arrived(counts, connected)
        quiet = int(phase * max(pull_every, 1))
        while True:
            target = f"/api/v1/sync/wait?cursor={cursor}&timeout={HEARTBEAT_S}"
            await _exchange(reader, writer, target, token)
            counts["heartbeats"] += 1
            quiet += 1
            if pull_every and quiet % pull_every == 0:  # the till's round
                page = await _exchange(reader, writer, f"/api/v1/sync/pull?cursor={cursor}", token)
                cursor = quote(page["cursor"])
                counts["rounds"] += 1
    finally:
        writer.close()


async def _till_streaming(
    port: int,
    token: str,
    connected: asyncio.Event,
    counts: dict[str, int],
    lifetime: float,
    arriving: asyncio.Semaphore,
    phase: float,
) -> None:
    """The till of now: one stream open, a round when it ends. ``phase`` (0-1): how
    much of its first stream's lifetime is left (it came online earlier)."""
    async with arriving:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        cursor = await _first_sync(reader, writer, token)
    _arrived(counts, connected)
    left: float | None = phase * lifetime
    while True:
        try:
            target = f"/api/v1/sync/stream?cursor={cursor}&heartbeat={HEARTBEAT_S}"
            await asyncio.wait_for(_listen(reader, writer, target, token, counts), left)
        except TimeoutError:  # the first stream, cut where this till's cycle stands
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        left = None
        page = await _exchange(reader, writer, f"/api/v1/sync/pull?cursor={cursor}", token)
        cursor = quote(page["cursor"])
        counts["rounds"] += 1


async def _listen(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    target: str,
    token: str,
    counts: dict[str, int],
) -> None:
    """Read one stream to its ``end`` (chunked: one event per chunk)."""
    await _ask(writer, target, token)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status != 200 or b"chunked" not in head.lower():
        raise RuntimeError(f"stream answered {status}: {head[:200]!r}")
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            raise RuntimeError("the stream ended without an end event")
        if b"event: heartbeat" in chunk:
            counts["heartbeats"] += 1
        elif b"event: end" in chunk:
            await reader.readuntil(b"0\r\n\r\n")
            return
        elif b"event: ready" not in chunk:
            raise RuntimeError(f"an idle till's stream said {chunk[:80]!r}")


def _arrived(counts: dict[str, int], connected: asyncio.Event) -> None:
    counts["connected"] += 1
    if counts["connected"] == counts["wanted"]:
        connected.set()


async def _hold(
    port: int, tokens: list[str], pids: list[int], window: float, mode: str, pull_every: int
) -> dict[str, float]:
    counts = {"wanted": len(tokens), "connected": 0, "heartbeats": 0, "rounds": 0}
    connected = asyncio.Event()
    # Tills of a chain come online over a morning, not in one instant: first syncs run
    # ARRIVING at a time, so what is measured is the idle cost, not a connection storm.
    arriving = asyncio.Semaphore(ARRIVING)
    spread = random.Random(len(tokens))
    if mode == "stream":
        tasks = [
            asyncio.create_task(
                _till_streaming(port, t, connected, counts, LIFETIME_S, arriving, spread.random())
            )
            for t in tokens
        ]
    else:
        tasks = [
            asyncio.create_task(
                _till_waiting(port, t, connected, counts, pull_every, arriving, spread.random())
            )
            for t in tokens
        ]
    try:
        waiter = asyncio.create_task(connected.wait())
        done, _ = await asyncio.wait(
            {waiter, *tasks}, timeout=60 + 0.2 * len(tokens), return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            failed = [t.exception() for t in tasks if t.done() and t.exception()]
            raise TimeoutError(f"{counts['connected']} of {len(tokens)} connected: {failed[:1]}")
        await asyncio.sleep(HEARTBEAT_S)  # every till through one heartbeat first
        cpu0, wall0 = _cpu_s(pids), time.monotonic()
        beats0, rounds0 = counts["heartbeats"], counts["rounds"]
        await asyncio.sleep(window)
        cpu, wall = _cpu_s(pids) - cpu0, time.monotonic() - wall0
        broken = [t.exception() for t in tasks if t.done()]
        if broken:
            raise RuntimeError(f"{len(broken)} tills dropped: {broken[:1]}")
        return {
            "cpu_share": cpu / wall,
            "rss_mb": _rss_mb(pids),
            "heartbeats_per_s": (counts["heartbeats"] - beats0) / wall,
            "rounds": counts["rounds"] - rounds0,
        }
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def run(
    levels: list[int], window: float, mode: str = "stream", pull_every: int = PULL_EVERY
) -> dict[str, Any]:
    """On a PostgreSQL cluster of its own, away from other tenants' load."""
    with private_cluster() as admin:
        return _run(admin, levels, window, mode, pull_every)


def _run(
    admin: str, levels: list[int], window: float, mode: str, pull_every: int
) -> dict[str, Any]:
    began = time.monotonic()
    name, url = fresh_database(admin)
    try:
        tokens = _tokens(url, max(levels))
        server = ServerProcess(url, workers=1)
        server.start()
        try:
            pids = _tree(server.proc.pid)  # type: ignore[union-attr]
            base_rss = _rss_mb(pids)
            figures: dict[str, Any] = {"idle_mode": mode, "idle_heartbeat_s": HEARTBEAT_S}
            if mode == "stream":
                figures["idle_stream_lifetime_s"] = LIFETIME_S
            else:
                figures["idle_pull_every_heartbeats"] = pull_every
            held = 0
            for n in levels:
                if time.monotonic() - began > DEADLINE_S:
                    raise TimeoutError(f"idle_tills: {DEADLINE_S:.0f} s passed before N={n}")
                try:
                    got = asyncio.run(
                        _hold(server.port, tokens[:n], pids, window, mode, pull_every)
                    )
                except (TimeoutError, RuntimeError) as exc:  # not held: say why, go no higher
                    figures[f"idle_not_held_{n}"] = str(exc)[:300]
                    break
                figures[f"idle_cpu_pct_{n}"] = round(100 * got["cpu_share"], 2)
                figures[f"idle_rss_mb_{n}"] = round(got["rss_mb"], 1)
                figures[f"idle_heartbeats_per_s_{n}"] = round(got["heartbeats_per_s"], 1)
                figures[f"idle_rounds_{n}"] = got["rounds"]
                if got["cpu_share"] <= CPU_BUDGET:
                    held = n
            measured = [n for n in levels if f"idle_cpu_pct_{n}" in figures]
            if not measured:
                raise RuntimeError(f"idle_tills: no level held: {figures}")
            top = max(measured)
            # The levels held within the budget, or (none) what the cheapest level's cost
            # per till allows: CPU per idle till is about flat in N (bench runs above).
            low = min(measured)
            per_till = figures[f"idle_cpu_pct_{low}"] / low
            budget = int(100 * CPU_BUDGET / per_till) if per_till > 0 else top
            figures["idle_tills_per_server"] = held if held else min(budget, low)
            figures["idle_tills_measured_max"] = top
            figures["idle_rss_mb_per_1000"] = round(
                (figures[f"idle_rss_mb_{top}"] - base_rss) * 1000 / top, 1
            )
        finally:
            server.stop()
    finally:
        drop_database(name, admin)
    figures["bench_idle_tills_seconds"] = round(time.monotonic() - began, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="500,1000,2000")
    parser.add_argument("--window", type=float, default=WINDOW_S)
    parser.add_argument("--mode", choices=("stream", "wait"), default="stream")
    parser.add_argument(
        "--pull-every",
        type=int,
        default=PULL_EVERY,
        help="--mode wait: a pull every this many heartbeats (1: the till before; 0: never)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    print(json.dumps(run(levels, args.window, args.mode, args.pull_every)))


if __name__ == "__main__":
    main()
