"""Failover run on the local topology (./bin/topology: Patroni primary + synchronous
standby, two server instances behind HAProxy): 8 simulated tills push and pull through
the faulty proxy and HAProxy while the run kills the PostgreSQL primary's postmaster
with -9 (Patroni fails over to the standby) and then one server instance with -9.
Then it checks that nothing answered was lost or changed, that every till's cache
equals the server, that the ledger chain verifies on the new primary, and that the
old primary came back as the synchronous standby by itself.

``python -m bench.failover [--tills 8] [--ops 150] [--keep]``: it starts the topology
(or uses the running one, whose database ``loyalty`` it empties first) and stops it at
the end if it started it. Bounded: ``--deadline`` seconds in all. The last output line
is one JSON object; the exit status is 1 when an invariant does not hold.
"""

import argparse
import json
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import select

from bench.chaos import _seed
from bench.chaos_check import verify
from bench.deadline import deadline, doing
from bench.failover_cluster import NODES, Cluster
from bench.failover_till import PullingTill
from bench.faulty_proxy import Faults, FaultyProxy
from sync_server.db import make_engine, make_session_factory
from sync_server.migrate import upgrade
from sync_server.models import Card, LedgerEntry
from sync_server.models.sync import SyncOp
from sync_server.services.card_state import state_of

_CARD_FIELDS = (
    "is_active",
    "stamp_count",
    "total_stamps_earned",
    "stamps_redeemed",
    "total_stamps_voided",
    "points_balance",
    "total_points_earned",
    "points_redeemed",
    "total_points_voided",
)


PRIMARY_KILL_SHARES = (0.2, 0.45, 0.65)  # of the ops with an outcome, at each kill
SERVER_KILL_SHARE = 0.8


@dataclass
class FailoverReport:
    ops: int
    applied: int
    rejected: int
    failovers: int
    server_kills: int
    promoted_s: list[float]  # each primary kill -> Patroni's REST API names a new primary
    recovery_s: list[float | None]  # each primary kill -> first `applied` a till received
    rejoin_s: list[float]  # each primary kill -> the old primary streams as sync standby
    till_errors: int  # requests of the tills that got no answer or not 200
    till_errors_after_kill: int  # of those, within recovery_s + 5 s of a primary kill
    injected_faults: int  # the faulty proxy's own drops (also counted in till_errors)
    lost: int
    double_applied: int
    answered_differently: int  # an answered outcome the ledger does not hold as answered
    model_mismatches: int
    pulled_mismatches: int  # till caches differing from the server after a final pull
    verify_ledger: str
    primaries: list[str]  # the primary before the run and after each failover
    seconds: float


def reset_database(cluster: Cluster) -> None:
    """Empty ``loyalty`` on the primary: the check reads every op and card in it."""
    with psycopg.connect(cluster.admin_url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS loyalty WITH (FORCE)")
        conn.execute("CREATE DATABASE loyalty")
    upgrade(cluster.database_url)


def run_failover(
    cluster: Cluster,
    tills: int = 8,
    ops_per_till: int = 150,
    primary_kills: int = 2,
    seed: int = 11,
) -> FailoverReport:
    started = time.monotonic()
    doing("emptying and migrating the database")
    reset_database(cluster)
    doing("seeding the merchant and pairing the tills")
    made, shared, emails, _ = _seed(cluster.database_url, tills, shared=max(12, tills * 3))
    engine = make_engine(cluster.database_url)
    factory = make_session_factory(engine)
    with factory() as session:
        initial = {c.card_number: state_of(c) for c in session.scalars(select(Card))}
    engine.dispose()
    stop = threading.Event()
    with FaultyProxy(cluster.http_url, Faults(), seed) as proxy:
        sims = [
            PullingTill(
                f"t{i}",
                proxy.url,
                m["token"],
                m["node"],
                m["pin_id"],
                shared,
                emails,
                ops_per_till,
                seed * 100 + i,
                skew=timedelta(minutes=(i - tills // 2) * 37),
            )
            for i, m in enumerate(made)
        ]
        threads = [threading.Thread(target=s.run, args=(stop,), daemon=True) for s in sims]
        for t in threads:
            t.start()
        chaos = _Chaos(cluster, sims, tills * ops_per_till, primary_kills)
        try:
            chaos.run(threads)
            doing("waiting for every till to have an outcome for every op")
            for t in threads:
                t.join()
            doing("the final pull of every till")
            caught_up = [s.catch_up(stop) for s in sims]
        finally:
            stop.set()
        injected = proxy.counts.dropped_requests + proxy.counts.dropped_responses
    doing("checking the ledger against the answers")
    primary_after = chaos.primaries[-1]
    report = _check(cluster, sims, initial, caught_up)
    recoveries = [_first_after(sims, at) for at in chaos.primary_kills]
    ok, ledger_text = cluster.verify_ledger(primary_after)
    if not ok:
        print(ledger_text)
    windows = [
        (at, at + (r or 0) + 5) for at, r in zip(chaos.primary_kills, recoveries, strict=True)
    ]
    return FailoverReport(
        ops=report["ops"],
        applied=report["applied"],
        rejected=report["rejected"],
        failovers=len(chaos.rejoins),
        server_kills=chaos.server_kills,
        promoted_s=[round(p, 2) for p in chaos.promotions],
        recovery_s=[None if r is None else round(r, 2) for r in recoveries],
        rejoin_s=[round(r, 2) for r in chaos.rejoins],
        till_errors=sum(len(s.errors) for s in sims),
        till_errors_after_kill=sum(
            1 for s in sims for at, _ in s.errors if any(a <= at <= b for a, b in windows)
        ),
        injected_faults=injected,
        lost=report["lost"],
        double_applied=report["double_applied"],
        answered_differently=report["answered_differently"],
        model_mismatches=report["model_mismatches"],
        pulled_mismatches=report["pulled_mismatches"],
        verify_ledger="ok" if ok else "broken",
        primaries=chaos.primaries,
        seconds=round(time.monotonic() - started, 1),
    )


class _Chaos:
    """kill -9 the primary's postmaster at each share of ``PRIMARY_KILLS`` of the ops
    (after the old primary has rejoined from the previous one), then kill -9 server
    instance 1 at ``SERVER_KILL`` and restart it with ``bin/topology up``."""

    def __init__(
        self, cluster: Cluster, sims: list[PullingTill], total: int, primary_kills: int
    ) -> None:
        self.cluster, self.sims, self.total = cluster, sims, total
        self.shares = PRIMARY_KILL_SHARES[:primary_kills]
        self.server_kills = 0
        self.primary_kills: list[float] = []  # when each kill -9 was sent
        self.promotions: list[float] = []  # seconds from each kill to a new primary
        self.rejoins: list[float] = []  # seconds from each kill to the old primary in sync
        self.primaries: list[str] = []

    def _share(self) -> float:
        return sum(len(s.outcomes) for s in self.sims) / self.total

    def _wait_share(self, share: float, threads: list[threading.Thread]) -> bool:
        while self._share() < share:
            if not any(t.is_alive() for t in threads):
                return False
            time.sleep(0.05)
        return True

    def run(self, threads: list[threading.Thread]) -> None:
        self.primaries.append(self.cluster.primary() or "none")
        for share in self.shares:
            doing(f"waiting for {share:.0%} of the ops before killing the primary")
            if self._wait_share(share, threads):
                self._fail_over()
        doing(f"waiting for {SERVER_KILL_SHARE:.0%} of the ops before killing a server")
        if self._wait_share(SERVER_KILL_SHARE, threads):
            self.cluster.kill_server(1)
            self.server_kills += 1
            doing("restarting server instance 1 (bin/topology up)")
            Cluster.up()

    def _fail_over(self) -> None:
        old = self.primaries[-1]
        standby = next(n for n in NODES if n != old)
        doing(f"checking that {standby} is the synchronous standby before the kill")
        self.cluster.wait_rejoined(standby, timeout=120, steady=0)
        self.cluster.kill_postmaster(old)
        killed = time.monotonic()
        self.primary_kills.append(killed)
        doing(f"waiting for Patroni to promote the standby ({old}'s postmaster killed)")
        self.primaries.append(self.cluster.wait_primary(other_than=old, timeout=60))
        self.promotions.append(time.monotonic() - killed)
        doing(f"waiting for {old} to rejoin as the synchronous standby")
        started = time.monotonic()
        self.rejoins.append(self.cluster.wait_rejoined(old, timeout=180) + (started - killed))


def _first_after(sims: list[PullingTill], at: float) -> float | None:
    """Seconds from ``at`` to the first `applied` answer to a push sent after it (one
    sent before may have committed on the old primary just before the kill)."""
    times = [answered for s in sims for sent, answered in s.applied_at if sent > at]
    return None if not times else min(times) - at


def _check(
    cluster: Cluster, sims: list[PullingTill], initial: dict[str, Any], caught_up: list[bool]
) -> dict[str, int]:
    engine = make_engine(cluster.database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            generated = {op["op_id"] for s in sims for op in s.generated}
            verdict = verify(session, initial, generated)
            for problem in verdict.model_mismatches[:10]:
                print("MISMATCH", problem)
            stored = {str(op.op_id): op for op in session.scalars(select(SyncOp))}
            differently = _answered_differently(sims, stored)
            cards = {c.card_number: c for c in session.scalars(select(Card))}
            entries = {e.id: e for e in session.scalars(select(LedgerEntry))}
            pulled = sum(
                _pulled_differs(s, cards, entries, stored) or not done
                for s, done in zip(sims, caught_up, strict=True)
            )
    finally:
        engine.dispose()
    return {
        "ops": len(generated),
        "applied": verdict.applied,
        "rejected": verdict.rejected,
        "lost": verdict.lost,
        "double_applied": verdict.double_applied,
        "answered_differently": differently,
        "model_mismatches": len(verdict.model_mismatches),
        "pulled_mismatches": pulled,
    }


def _answered_differently(sims: list[PullingTill], stored: dict[str, SyncOp]) -> int:
    """Every outcome a till received is in the ledger exactly as answered: same status
    (a duplicate's original one), same code, same ledger entries."""
    wrong = 0
    for sim in sims:
        for op_id, answer in sim.outcomes.items():
            row = stored.get(op_id)
            status = answer.get("original_status") or answer["status"]
            if (
                row is None
                or row.status != status
                or row.code != answer.get("code")
                or row.result.get("transaction_ids", []) != answer.get("transaction_ids", [])
            ):
                wrong += 1
                if wrong <= 10:
                    print("ANSWERED", op_id, answer, "STORED", row and (row.status, row.code))
    return wrong


def _pulled_differs(
    sim: PullingTill,
    cards: dict[str, Card],
    entries: dict[int, LedgerEntry],
    stored: dict[str, SyncOp],
) -> bool:
    """The till's cache after its last pull: every card of the merchant with the
    server's balances, its store's ledger entries, and its own ops' outcomes."""
    pulled_cards = sim.pulled.get("cards", {})
    card_ok = set(pulled_cards) == set(cards) and all(
        all(pulled_cards[n][f] == getattr(c, f) for f in _CARD_FIELDS) for n, c in cards.items()
    )
    store = stored[sim.generated[0]["op_id"]].store_id if sim.generated else None
    entries_ok = {str(i) for i, e in entries.items() if e.store_id == store} == set(
        sim.pulled.get("transactions", {})
    )
    outcomes_ok = {op["op_id"] for op in sim.generated} <= set(sim.pulled.get("op_outcomes", {}))
    if not (card_ok and entries_ok and outcomes_ok):
        print(
            "PULLED", sim.name, {"cards": card_ok, "entries": entries_ok, "outcomes": outcomes_ok}
        )
        return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tills", type=int, default=8)
    parser.add_argument("--ops", type=int, default=150, help="operations per till")
    parser.add_argument("--primary-kills", type=int, default=2, choices=(1, 2, 3))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--deadline", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--keep", action="store_true", help="leave the topology running")
    args = parser.parse_args()
    was_running = Cluster.is_running()
    try:
        with deadline(args.deadline, "bench.failover"):
            doing("bringing the topology up (bin/topology up)")
            cluster = Cluster.up()
            report = run_failover(cluster, args.tills, args.ops, args.primary_kills, args.seed)
    finally:
        if not was_running and not args.keep:
            Cluster.down()
    summary = asdict(report)
    print(json.dumps(summary))
    held = (
        report.lost == 0
        and report.double_applied == 0
        and report.answered_differently == 0
        and report.model_mismatches == 0
        and report.pulled_mismatches == 0
        and report.failovers == args.primary_kills
        and report.server_kills == 1
        and None not in report.recovery_s
        and report.verify_ledger == "ok"
    )
    sys.exit(0 if held else 1)


if __name__ == "__main__":
    main()
