"""loyalty-server's ledger maintenance: drop-request-metadata (for a timer), what
verify-ledger says of an intact chain beyond its length, and resync-tills (after a
restore)."""

import argparse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.ledger_chain import ChainReport
from sync_server.ledger_retention import drop_request_metadata
from sync_server.services.resync import resync_tills

Command = Callable[[str, Callable[..., int], str], argparse.ArgumentParser]


def register(command: Command) -> None:
    p = command(
        "drop-request-metadata",
        _drop_request_metadata,
        "erase the IP address and user agent of old ledger entries (chain intact)",
    )
    p.add_argument(
        "--older-than-days",
        type=_days,
        help="default $LOYALTY_REQUEST_METADATA_DAYS, else 90",
    )
    p = command(
        "resync-tills",
        _resync_tills,
        "after a database restore: every till's next pull starts over (no change skipped)",
    )
    p.add_argument("--merchant-id", type=int, help="only this merchant's tills")


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of days >= 1: {text!r}")
    return days


def _drop_request_metadata(args: argparse.Namespace, settings: Settings) -> int:
    days = args.older_than_days or settings.request_metadata_days
    engine = make_engine(settings.database_url)
    try:
        changed = drop_request_metadata(
            make_session_factory(engine), datetime.now(UTC), timedelta(days=days)
        )
    finally:
        engine.dispose()
    print(f"request metadata dropped from {changed} ledger entries older than {days} days")
    return 0


def chain_notes(report: ChainReport) -> str:
    """What an auditor may ask of an intact chain: erasures, the v1 head it replaced."""
    notes = []
    if report.erased:
        notes.append(f"{report.erased} with personal fields erased")
    if report.v1_head is not None:
        seq, digest = report.v1_head
        notes.append(f"re-sealed from v1 head {digest} at position {seq}")
    return f" ({'; '.join(notes)})" if notes else ""


def _resync_tills(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            count = resync_tills(session, args.merchant_id)
            session.commit()
    finally:
        engine.dispose()
    print(f"{count} tills will start over at their next pull (their outboxes are kept)")
    return 0
