"""The fault run at test size: 8 tills, a proxy that drops, duplicates and delays, and a
kill -9 of the two-worker server mid-run. 0 lost, 0 applied twice, the ledger equal to
a sequential model of the accepted ops. (`python -m bench.chaos` runs it at 20,000 ops.)"""

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bench.chaos import run_chaos
from bench.faulty_proxy import Faults
from sync_server.models import Card, LedgerEntry

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CALM = Faults(drop_request=0, drop_response=0, duplicate=0, delay=0)


@pytest.fixture(autouse=True)
def _needs_postgres(pg_url):
    """run_chaos makes its own databases; this only enforces the PostgreSQL policy."""


def test_no_op_is_lost_or_applied_twice_through_faults_and_a_kill_9():
    report = run_chaos(tills=8, ops_per_till=40)

    assert report.ops == 320
    assert report.kills == 1
    assert report.lost == 0
    assert report.double_applied == 0
    assert report.model_mismatches == 0
    assert report.negative_without_policy == 0
    assert report.applied + report.rejected == report.ops
    assert report.applied > report.ops / 2
    assert report.faults["dropped_responses"] + report.faults["duplicated"] > 0


def test_tills_watching_through_the_faults_with_the_live_feed_end_with_the_servers_state():
    """Two real tills pull through the same faulty proxy with the live feed on, checking
    their digests every round; after the run each one's last check finds nothing to
    re-pull. That check can fail: the negative controls below change the server's
    ledger behind the pulls' back and the watchers' last check finds it."""
    report = run_chaos(tills=4, ops_per_till=30)

    assert report.kills == 1
    assert report.watch_tills == 2
    assert report.watch_digest_checks > 2
    assert report.watch_tills_diverged_at_end == 0


def _bump_a_balance(session: Session) -> None:
    card = session.scalars(select(Card).order_by(Card.id)).first()
    session.execute(
        update(Card).where(Card.id == card.id).values(points_balance=Card.points_balance + 1)
    )


def _apply_an_entry_twice(session: Session) -> None:
    entry = session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id.is_(None)).order_by(LedgerEntry.id.desc())
    ).first()
    own = {"id", "chain_seq", "prev_hash", "entry_hash"}  # the copy gets its own place
    columns = {
        c.key: getattr(entry, c.key) for c in LedgerEntry.__table__.columns if c.key not in own
    }
    session.execute(insert(LedgerEntry).values(**columns))


def test_the_check_notices_a_tampered_balance_and_a_double_entry():
    """Negative controls: the verification above is able to fail."""
    tampered = run_chaos(
        tills=2, ops_per_till=15, kill_at=None, faults=CALM, tamper=_bump_a_balance
    )
    doubled = run_chaos(
        tills=2, ops_per_till=15, kill_at=None, faults=CALM, tamper=_apply_an_entry_twice
    )

    assert tampered.model_mismatches >= 1
    assert doubled.double_applied >= 1
    # The watching tills' last digest check sees what no pull announced.
    assert tampered.watch_tills_diverged_at_end >= 1
    assert doubled.watch_tills_diverged_at_end >= 1


def test_a_run_that_can_never_finish_fails_at_its_deadline_with_a_diagnosis():
    """Every request dropped stands in for a server bug that answers nothing useful:
    the tills would retry for ever. The run stops at its deadline and says which till
    still held what (before, bench/chaos.py never set its stop event and hung)."""
    from bench.chaos import ChaosTimeout

    never = Faults(drop_request=1.0, drop_response=0, duplicate=0, delay=0)

    with pytest.raises(ChaosTimeout, match=r"t0: \d+ ops without an outcome .* retries"):
        run_chaos(tills=2, ops_per_till=5, kill_at=None, faults=never, deadline_s=5)
