"""Makes every pass follow the ledger: after a reconciliation changes what a card's
pass shows, the pass is marked updated, each registered device is owed one empty APNs
push, and the Google object one PATCH (under its quota).

Several processes and servers run it at once; the database alone keeps each update
marked once and each push sent once:

- a pass is marked in a short transaction under its row lock (FOR UPDATE SKIP LOCKED;
  SQLite serializes writers), after re-reading its content under that lock;
- a push is claimed with a transaction-scoped advisory lock on PostgreSQL and re-read
  before it is sent, so no row lock (which assigns a transaction id and would hold back
  every till's pull horizon, sync_server/sync/changes.py) is held across the call to APNs.
"""

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
from anyio import to_thread
from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import Settings
from sync_server.models import Card, WalletPass, WalletPush, WalletRegistration
from sync_server.repositories import claims
from sync_server.repositories import purge as purge_rows
from sync_server.repositories.upsert import insert_ignore
from sync_server.wallet import google
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.passes import content_of
from sync_server.wallet.worker_scan import ScanCursor, changed_passes

log = logging.getLogger(__name__)

MARK_BATCH = 200
SEND_BATCH = 100
SEND_SECONDS = 30.0
# A push that failed waits BACKOFF * (2^attempts - 1) after it was made, and is given
# up after MAX_ATTEMPTS (about two hours): the device still gets the pass when it opens.
BACKOFF = timedelta(seconds=30)
MAX_ATTEMPTS = 8
# Sent and given-up pushes are kept this long (for the operator asking "was it sent?"),
# then swept a batch per run: otherwise a row per device per balance change, forever.
PUSHES_KEPT = timedelta(days=7)
SWEEP_BATCH = 1000
_PUSH_LOCK_NAMESPACE = 0x57A11E7  # pg advisory lock namespace of wallet pushes


@dataclass
class WorkerReport:
    passes_scanned: int = 0
    passes_updated: int = 0
    pushes_owed: int = 0
    pushes_sent: int = 0
    pushes_failed: int = 0
    registrations_dropped: int = 0
    google_patched: int = 0
    pushes_swept: int = 0


def run_once(
    session_factory: sessionmaker[Session],
    edges: WalletEdges,
    settings: Settings,
    now: datetime,
    cursor: ScanCursor | None = None,
) -> WorkerReport:
    """One pass of the worker; ``cursor`` (kept by a loop) skips what it already saw."""
    report, scanned, batch = WorkerReport(), list[int](), list[int]()
    for pass_id in changed_passes(session_factory, scanned, cursor):
        batch.append(pass_id)
        if len(batch) == MARK_BATCH:
            report.passes_updated += mark_batch(session_factory, batch, now)
            batch = []
    if batch:
        report.passes_updated += mark_batch(session_factory, batch, now)
    report.passes_scanned = sum(scanned)
    topic = settings.apple_pass_type_id
    if topic is None and edges.signer is not None:
        topic = edges.signer.pass_type_identifier
    if edges.apns is not None and topic:
        _send_owed(session_factory, edges, topic, now, report)
    report.pushes_swept = sweep_pushes(session_factory, now)
    if edges.google is not None:
        report.google_patched = google.flush_pending(
            session_factory, edges.google, settings, now.date()
        )
    return report


# --- (b) mark a pass updated, owe each device a push -------------------------------


def mark_updated(factory: sessionmaker[Session], pass_id: int, now: datetime) -> bool:
    return mark_batch(factory, [pass_id], now) == 1


def mark_batch(factory: sessionmaker[Session], pass_ids: list[int], now: datetime) -> int:
    """Marks the passes whose content changed, in one transaction under their row locks;
    a pass another worker holds is skipped (that worker marks it), and each is re-read
    under the lock (another worker may have marked it since our scan). How many."""
    with factory() as session:
        locked = session.scalars(
            select(WalletPass)
            .where(WalletPass.id.in_(pass_ids))
            .order_by(WalletPass.id)
            .with_for_update(skip_locked=True)
        ).all()
        # Their cards loaded at once: content_of finds each in the session.
        session.scalars(select(Card).where(Card.id.in_([p.card_id for p in locked]))).all()
        marked = sum(_mark(session, wallet_pass, now) for wallet_pass in locked)
        session.commit()
        return marked


def _mark(session: Session, wallet_pass: WalletPass, now: datetime) -> bool:
    digest = content_of(session, wallet_pass).state_digest()
    if digest == wallet_pass.rendered_state:  # another worker marked it meanwhile
        return False
    # Microseconds of updated_at (Last-Modified, passesUpdatedSince), strictly
    # increasing even if this clock is behind the last worker's; taken now, not at
    # the run's start: a device told "lastUpdated" by a pass another worker marked
    # meanwhile must not then miss this one under an older tag.
    tag = max(wallet_pass.update_tag + 1, _micros(now), _micros(datetime.now(UTC)))
    wallet_pass.update_tag = tag
    wallet_pass.updated_at = datetime.fromtimestamp(tag / 1_000_000, UTC)
    wallet_pass.rendered_state = digest
    if wallet_pass.google_object_id is not None:
        wallet_pass.google_pending = True
    _owe_pushes(session, wallet_pass.id, tag, now)
    return True


def _owe_pushes(session: Session, pass_id: int, tag: int, now: datetime) -> None:
    """One push per registration for this tag; an older one still owed is dropped (one
    push makes the device fetch the latest pass)."""
    registrations = list(
        session.scalars(select(WalletRegistration.id).where(WalletRegistration.pass_id == pass_id))
    )
    if not registrations:
        return
    session.execute(
        delete(WalletPush).where(
            WalletPush.registration_id.in_(registrations),
            WalletPush.sent_at.is_(None),
            WalletPush.update_tag < tag,
        )
    )
    for registration_id in registrations:
        insert_ignore(
            session,
            WalletPush,
            # On the worker's clock, like the backoff that counts from it.
            {"registration_id": registration_id, "update_tag": tag, "created_at": now},
        )


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


# --- (c) send the pushes owed ------------------------------------------------------


def _send_owed(
    factory: sessionmaker[Session],
    edges: WalletEdges,
    topic: str,
    now: datetime,
    report: WorkerReport,
) -> None:
    """Batches of due pushes until none is left or SEND_SECONDS pass (then the next run
    goes on, after marking what changed meanwhile)."""
    deadline, after = time.monotonic() + SEND_SECONDS, 0
    while time.monotonic() < deadline:
        with factory() as session:
            owed = list(session.scalars(_due(now).where(WalletPush.id > after).limit(SEND_BATCH)))
            session.rollback()
        report.pushes_owed += len(owed)
        for push_id in owed:
            outcome = _send_one(factory, edges, push_id, topic, now)
            if outcome == "sent":
                report.pushes_sent += 1
            elif outcome == "gone":
                report.registrations_dropped += 1
            elif outcome in ("failed", "unreachable"):
                report.pushes_failed += 1
            if outcome == "unreachable":
                return  # APNs is down: the rest wait for the next run
        if len(owed) < SEND_BATCH:
            return
        after = owed[-1]


def _due(now: datetime) -> Select[int]:
    waited = or_(
        WalletPush.attempts == 0,
        *(
            and_(WalletPush.attempts == n, WalletPush.created_at <= now - BACKOFF * (2**n - 1))
            for n in range(1, MAX_ATTEMPTS)
        ),
    )
    return (
        select(WalletPush.id)
        .where(WalletPush.sent_at.is_(None), WalletPush.attempts < MAX_ATTEMPTS, waited)
        .order_by(WalletPush.id)
    )


def _send_one(
    factory: sessionmaker[Session], edges: WalletEdges, push_id: int, topic: str, now: datetime
) -> str:
    """One push in one transaction: claimed, re-read, sent, recorded."""
    assert edges.apns is not None
    with factory() as session:
        if not claim_push(session, push_id):
            return "taken"
        row = session.execute(
            select(WalletPush, WalletRegistration)
            .join(WalletRegistration, WalletRegistration.id == WalletPush.registration_id)
            .where(WalletPush.id == push_id, WalletPush.sent_at.is_(None))
        ).first()
        if row is None:  # sent or dropped by another worker before our claim
            return "taken"
        push, registration = row
        push.attempts += 1
        try:
            status = edges.apns.send_empty(registration.push_token, topic)
        except OSError:
            push.last_status = None
            session.commit()
            return "unreachable"
        push.last_status = status
        outcome = _record(session, push, registration, status, now)
        session.commit()
        return outcome


def claim_push(session: Session, push_id: int) -> bool:
    return claims.try_claim(session, _PUSH_LOCK_NAMESPACE, push_id)


def _record(
    session: Session,
    push: WalletPush,
    registration: WalletRegistration,
    status: int,
    now: datetime,
) -> str:
    if status == 200:
        push.sent_at = now
        return "sent"
    if status == 410:  # the device removed the pass or stopped its updates
        session.execute(
            delete(WalletRegistration).where(
                WalletRegistration.id == registration.id,
                # It may have registered again meanwhile, with a new token.
                WalletRegistration.push_token == registration.push_token,
            )
        )
        return "gone"
    return "failed"


def sweep_pushes(factory: sessionmaker[Session], now: datetime) -> int:
    """Deletes up to a batch of pushes sent, or given up, more than PUSHES_KEPT ago (the
    latest of each registration is replaced by the next update anyway); how many."""
    cutoff = now - PUSHES_KEPT
    # Both halves are ranges of the (sent_at, id) index: a run finds its batch without
    # reading the week of pushes it keeps.
    old = or_(
        WalletPush.sent_at < cutoff,
        and_(
            WalletPush.sent_at.is_(None),
            WalletPush.attempts >= MAX_ATTEMPTS,
            WalletPush.created_at < cutoff,
        ),
    )
    with factory() as session:
        swept = purge_rows.delete_some(
            session, WalletPush.id, old, WalletPush.id, batch=SWEEP_BATCH
        )
        session.commit()
    return swept


def owed_count(session: Session) -> int:
    """Pushes still owed (given-up ones included), for the operator and the tests."""
    return int(
        session.scalar(select(func.count(WalletPush.id)).where(WalletPush.sent_at.is_(None))) or 0
    )


# --- running it ----------------------------------------------------------------------


@asynccontextmanager
async def running_worker(
    session_factory: sessionmaker[Session], edges: Callable[[], WalletEdges], settings: Settings
) -> AsyncIterator[None]:
    """The server's own worker loop, on when wallets are (wallet_secret set) and the
    interval is not 0; each run in a thread, stopped between runs on shutdown. ``edges``
    is read at each run (tests put fakes in the app's place)."""
    if settings.wallet_secret is None or settings.wallet_worker_seconds <= 0:
        yield
        return
    async with anyio.create_task_group() as group:
        group.start_soon(_loop, session_factory, edges, settings)
        try:
            yield
        finally:
            group.cancel_scope.cancel()


async def _loop(
    session_factory: sessionmaker[Session], edges: Callable[[], WalletEdges], settings: Settings
) -> None:
    cursor = ScanCursor()
    while True:
        # Not cancellable mid-run: a run ends its transactions, then the loop stops.
        await to_thread.run_sync(run_guarded, session_factory, edges(), settings, cursor)
        await anyio.sleep(settings.wallet_worker_seconds)


def run_forever(
    session_factory: sessionmaker[Session],
    edges: WalletEdges,
    settings: Settings,
    stop: threading.Event,
) -> None:
    """``loyalty-server wallet-worker``: runs until ``stop`` is set."""
    interval, cursor = settings.wallet_worker_seconds or 5.0, ScanCursor()
    while not stop.is_set():
        run_guarded(session_factory, edges, settings, cursor)
        stop.wait(interval)


def run_guarded(
    session_factory: sessionmaker[Session],
    edges: WalletEdges,
    settings: Settings,
    cursor: ScanCursor,
) -> WorkerReport | None:
    """One run whose failure (database away, say) is logged and retried next time."""
    try:
        return run_once(session_factory, edges, settings, datetime.now(UTC), cursor)
    except Exception as exc:  # the loop outlives one failed run
        log.warning("wallet worker run failed: %s", type(exc).__name__)
        return None
