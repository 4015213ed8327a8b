"""The benchmarks run, and measure the workload they name (their figures are judged in
docs, never here)."""

import random
from collections import Counter

import psycopg
import pytest

from bench import local_ops, push_mix, store_set
from bench.chaos import drop_database
from bench.seeding import libpq
from common.card_number import make_card_number
from sync_server.db import make_engine, make_session_factory
from sync_server.ledger_chain import verify


def test_the_local_operation_benchmark_produces_every_figure():
    figures = local_ops.run(n=5)
    assert set(figures) >= {
        "local_op_p99_ms",
        "pin_verify_p95_ms",
        "pin_try_every_hash_100_staff_ms",
    }
    assert all(value > 0 for value in figures.values())


def _mix_pusher(batch: int) -> push_mix.MixPusher:
    cards = [make_card_number(9_000_000, i) for i in range(1, 201)]
    pools = push_mix.Pools(stamps=cards[:50], points=cards[50:100])
    return push_mix.MixPusher("http://unused", "token", 1, cards, seed=3, batch=batch, pools=pools)


def test_every_hundred_mixed_ops_hold_the_stated_mix() -> None:
    """Planted bug: dropping the deck's deactivate-before-reactivate swap turns a
    reactivation with nothing deactivated into a stamp, and the mix is no longer MIX."""
    for seed in range(20):
        pusher = _mix_pusher(batch=100)
        ops = pusher._ops(random.Random(seed))
        kinds = Counter(pusher.kinds[op["op_id"]] for op in ops)
        assert kinds == Counter(dict(push_mix.MIX))
        types = Counter(op["body"]["type"] for op in ops)
        assert types["card.reactivate"] == 1
        assert types["card.enroll"] == 5
        offline = [op["body"]["type"] for op in ops if op["offline"]]
        assert Counter(offline) == {"stamp.redeem": 2, "points.redeem": 3}
        assert all(op["snapshot_age_s"] == 30 for op in ops if op["offline"])


def test_the_mix_voids_what_the_server_applied_for_this_till() -> None:
    """Planted bug: learning from refused ops too makes a void name an earn the server
    never applied."""
    pusher = _mix_pusher(batch=100)
    ops = pusher._ops(random.Random(1))
    results = []
    for i, op in enumerate(ops):
        applied = i % 2 == 0
        results.append(
            {"op_id": op["op_id"], "status": "applied" if applied else "rejected"}
            | ({"transaction_ids": [1000 + i]} if applied else {})
        )
    pusher._learn(ops, results)
    applied_earns = {
        (op["body"]["card_number"], 1000 + i)
        for i, op in enumerate(ops)
        if i % 2 == 0
        and op["body"]["type"] == "points.earn"
        and "order_reference" not in op["body"]
    }
    assert set(pusher.earns) == applied_earns
    assert sum(pusher.applied_kinds.values()) == 50


@pytest.mark.postgres
def test_the_store_set_is_a_valid_chained_history() -> None:
    """The seeded ledger is one the server would have written: its hash chain verifies,
    every card's balances are the sum of its entries, every card has its creation entry.
    Planted bugs: a COPY line whose created_at differs from the hashed one breaks the
    chain; cards written with a wrong stamp count break the sums."""
    made = store_set.seed(cards=300, entries=3_000, staff=2, tills=1)
    try:
        engine = make_engine(made.seeded.url)
        with make_session_factory(engine)() as session:
            report = verify(session, made.seeded.merchant_id)
        engine.dispose()
        with psycopg.connect(libpq(made.seeded.url)) as conn:
            mismatched = conn.execute(
                "SELECT count(*) FROM cards c LEFT JOIN (SELECT card_id, sum(stamps_delta) s, "
                "sum(points_delta) p, count(*) FILTER (WHERE type = 'CARD_CREATED') made "
                "FROM ledger_entries GROUP BY card_id) l ON l.card_id = c.id "
                "WHERE l.card_id IS NULL OR c.stamp_count <> l.s OR c.points_balance <> l.p "
                "OR l.made <> 1"
            ).fetchone()
            counted = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE store_id = %s) FROM ledger_entries",
                (made.seeded.store_id,),
            ).fetchone()
            cards = conn.execute("SELECT count(*) FROM cards").fetchone()
    finally:
        drop_database(made.seeded.db_name)
    assert report.intact, report
    assert report.entries == made.entries
    assert 2_700 <= made.entries <= 3_300
    assert mismatched == (0,)
    assert cards == (300,)
    assert counted == (made.entries, made.store_entries)
    assert made.stamp_rewards_due
    assert made.points_rewards_due
