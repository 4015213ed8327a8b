"""loyalty-server's ledger maintenance: drop-request-metadata (for a timer), and what
verify-ledger says of an intact chain beyond its length."""

import argparse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.ledger_chain import ChainReport
from sync_server.ledger_retention import drop_request_metadata

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
