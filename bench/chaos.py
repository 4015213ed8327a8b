"""Fault run: 8+ simulated tills push a random mix of every operation through a proxy
that drops, duplicates and delays, while the server (uvicorn, 2 workers, PostgreSQL)
is killed with -9 mid-run and restarted. Then the ledger is checked against a
sequential model of the accepted ops.

``python -m bench.chaos [--tills 8] [--ops 2500]`` (ops per till); the last output
line is one JSON object.
"""

import argparse
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from bench.chaos_check import verify
from bench.chaos_watchers import Watchers
from bench.faulty_proxy import Faults, FaultyProxy
from bench.server_process import ServerProcess
from bench.sim_till import SimTill
from common.operations import CustomerDetails, Enroll
from sync_server.actor import RequestMeta, Role, StoreActor
from sync_server.auth import accounts
from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.migrate import upgrade
from sync_server.models import Card, StaffPin
from sync_server.repositories import cards as card_repo
from sync_server.services import operations, pairing, programs, staff_pins
from sync_server.services.card_state import state_of

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PROGRAM = {
    "loyalty_type": "hybrid",
    "display_name": "Chaos",
    "stamps_target": 8,
    "stamps_reward_description": "Coffee",
    "cooldown_minutes": 0,
    "max_daily_stamps": 40,
    "points_per_currency_unit": 1,
    "points_rewards": [
        {"id": "ten", "name": "Ten", "points_required": 10, "is_active": True},
        {"id": "fifty", "name": "Fifty", "points_required": 50, "is_active": True},
    ],
    "welcome_bonus_points": 20,
    "require_staff_pin": True,
    "is_active": True,
}


@dataclass
class ChaosReport:
    ops: int
    applied: int
    duplicates: int
    rejected: int
    lost: int
    double_applied: int
    model_mismatches: int
    negative_without_policy: int
    kills: int
    retries: int
    seconds: float
    faults: dict[str, int]
    # Real tills watching through the proxy with the live feed (bench/chaos_watchers.py).
    watch_tills: int = 0
    watch_digest_checks: int = 0
    watch_buckets_repaired_during: int = 0
    watch_tills_diverged_at_end: int = 0


def fresh_database(admin_url: str = PG_ADMIN) -> tuple[str, str]:
    name = f"loyalty_chaos_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    upgrade(url)
    return name, url


def drop_database(name: str, admin_url: str = PG_ADMIN) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed(
    url: str, tills: int, shared: int, watchers: int = 0
) -> tuple[list[dict[str, Any]], list[str], list[str], list[str]]:
    """A merchant with two stores, shared cards, paired tills (tokens made directly) and
    pairing codes for the watching tills."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC) - timedelta(hours=3)
    with factory() as session:
        merchant = accounts.create_merchant(session, "Chaos Café")
        stores = [
            accounts.create_store(session, merchant.id, f"Store {i}", "Europe/Paris")
            for i in (1, 2)
        ]
        owner = accounts.create_user(session, merchant.id, "owner@chaos.example", "chaos-owner")
        programs.create(session, merchant.id, dict(PROGRAM))
        pins = {}
        for store in stores:
            pin = staff_pins.create(session, merchant.id, store.id, "Staff", "2468", None)
            assert isinstance(pin, StaffPin)
            pins[store.id] = pin.id
        actor = StoreActor(merchant.id, stores[0].id, Role.MERCHANT_OWNER, user_id=owner.id)
        numbers, emails = [], []
        for i in range(shared):
            email = f"shared{i}@chaos.example"
            customer = card_repo.lock_or_create_customer(session, merchant.id, email, None, None)
            op = Enroll(
                card_number=operations.allocate_card_number(session),
                customer=CustomerDetails(email=email),
            )
            result = operations.enroll(
                session,
                operations.OpRequest(actor, op, None, RequestMeta(), now),
                customer,
                Settings(database_url=url),
            )
            assert isinstance(result, operations.OpApplied)
            numbers.append(op.card_number)
            emails.append(email)
        made = []
        for i in range(tills):
            store = stores[i % 2]
            code = pairing.issue_code(session, store, owner.id, now)
            paired = pairing.redeem_code(session, code.code, f"till-{i}", now)
            assert paired is not None
            made.append(
                {"token": paired.device_token, "node": paired.card_node, "pin_id": pins[store.id]}
            )
        codes = [
            pairing.issue_code(session, stores[i % 2], owner.id, datetime.now(UTC)).code
            for i in range(watchers)
        ]
        session.commit()
    engine.dispose()
    return made, numbers, emails, codes


def run_chaos(
    tills: int = 8,
    ops_per_till: int = 40,
    kill_at: float | None = 0.4,
    seed: int = 7,
    faults: Faults | None = None,
    admin_url: str = PG_ADMIN,
    tamper: Callable[[Session], None] | None = None,
    deadline_s: float = 900.0,
    watchers: int = 2,
) -> ChaosReport:
    """``tamper`` edits the database before the check: the check's negative control.
    ``watchers`` real tills (one per store in turn) pull through the proxy with the live
    feed and must end holding the server's state (bench/chaos_watchers.py).

    A run that is not done within ``deadline_s`` stops its tills and fails with what
    each still had to send and the last refusal it got, instead of retrying forever."""
    name, url = fresh_database(admin_url)
    server = ServerProcess(url, workers=2)
    try:
        made, shared, emails, codes = _seed(
            url, tills, shared=max(12, tills * 3), watchers=watchers
        )
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory() as session:
            initial = {c.card_number: state_of(c) for c in session.query(Card)}
        server.start()
        started = time.monotonic()
        with FaultyProxy(server.url, faults or Faults(), seed) as proxy:
            watching = Watchers(server.url, proxy.url, codes)
            watching.start()
            sims = [
                SimTill(
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
            stop = threading.Event()
            threads = [threading.Thread(target=s.run, args=(stop,)) for s in sims]
            for t in threads:
                t.start()
            kills = _kill_once_midway(
                server, sims, tills * ops_per_till, kill_at, threads, started + deadline_s
            )
            try:
                _join_by(threads, stop, sims, started + deadline_s)
            except BaseException:
                watching.abandon()
                raise
            watching.settle()  # one round of each through the faults, however short the run
            watching.halt()  # their own rounds would repair a tamper before the last check
            if tamper is not None:  # before the watchers' last check: it must see it
                watching.catch_up()  # ... and not pull it as news
                with factory() as session:
                    tamper(session)
                    session.commit()
            watched = watching.finish()
            fault_counts = proxy.counts.as_dict()
        seconds = time.monotonic() - started
        generated = {op["op_id"] for s in sims for op in s.generated}
        with factory() as session:
            verdict = verify(session, initial, generated)
        engine.dispose()
        for problem in verdict.model_mismatches[:10]:
            print("MISMATCH", problem)
        return ChaosReport(
            ops=len(generated),
            applied=verdict.applied,
            duplicates=sum(s.duplicates for s in sims),
            rejected=verdict.rejected,
            lost=verdict.lost,
            double_applied=verdict.double_applied,
            model_mismatches=len(verdict.model_mismatches),
            negative_without_policy=verdict.negative_without_policy,
            kills=kills,
            retries=sum(s.retries for s in sims),
            seconds=round(seconds, 2),
            faults=fault_counts,
            **watched,
        )
    finally:
        server.stop()
        drop_database(name, admin_url)


class ChaosTimeout(RuntimeError):
    """The run passed its deadline: some till never got an outcome for its ops."""


def _join_by(
    threads: list[threading.Thread], stop: threading.Event, sims: list[SimTill], at: float
) -> None:
    for t in threads:
        t.join(timeout=max(0.0, at - time.monotonic()))
    if any(t.is_alive() for t in threads):
        stop.set()
        for t in threads:
            t.join(timeout=15)
        stuck = [
            f"{s.name}: {len(s.outbox)} ops without an outcome after {s.retries} retries"
            f" (last: {s.last_error or 'none'})"
            for s in sims
            if s.outbox or len(s.generated) < s.target
        ]
        raise ChaosTimeout("the chaos run passed its deadline; " + "; ".join(stuck))


def _kill_once_midway(
    server: ServerProcess,
    sims: list[SimTill],
    total: int,
    at: float | None,
    threads: list[threading.Thread],
    deadline: float,
) -> int:
    """kill -9 every server process once a share of the ops has an outcome (a batch is
    then almost surely in flight), then start it again on the same port."""
    while at is not None and any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        if sum(len(s.outcomes) for s in sims) >= total * at:
            server.kill9()
            time.sleep(0.5)
            server.start()
            return 1
        time.sleep(0.02)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tills", type=int, default=8)
    parser.add_argument("--ops", type=int, default=2500, help="operations per till")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    report = run_chaos(args.tills, args.ops, seed=args.seed)
    summary = asdict(report)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
