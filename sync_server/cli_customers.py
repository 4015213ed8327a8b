"""loyalty-server's commands for a customer's data requests and for backups:
export-customer, erase-customer, erasure-log, reapply-erasures.

A refusal prints one line with a stable code (``CUSTOMER_NOT_FOUND``) and exits 1."""

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from common.codes import Reason
from common.outcome import Rejected
from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.models import Customer, CustomerErasure
from sync_server.repositories import customers as repo
from sync_server.services import customer_erasure, customer_export

Command = Callable[[str, Callable[..., int], str], argparse.ArgumentParser]


def register(command: Command) -> None:
    for name, run, help_ in (
        ("export-customer", _export, "print everything held about one customer, as JSON"),
        ("erase-customer", _erase, "erase one customer's personal data"),
    ):
        p = command(name, run, help_)
        p.add_argument("--merchant-id", type=int, required=True)
        p.add_argument("--customer-id", type=int, help="instead of the email")
        p.add_argument("email", nargs="?")
    command("erasure-log", _log, "print the erasure log (ids only) to keep with backups")
    p = command("reapply-erasures", _reapply, "erase again everyone the erasure log names")
    p.add_argument("--log", type=Path, help="a log printed by erasure-log, added first")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def _refuse(code: str, message: str) -> int:
    print(f"error: {code}: {message}", file=sys.stderr)
    return 1


def _find(session: Session, args: argparse.Namespace) -> Customer | None:
    if args.customer_id is not None:
        return repo.get(session, args.merchant_id, args.customer_id)
    if args.email:
        return repo.by_email(session, args.merchant_id, args.email)
    return None


def _not_found(args: argparse.Namespace) -> int:
    who = args.email if args.customer_id is None else f"#{args.customer_id}"
    return _refuse(Reason.CUSTOMER_NOT_FOUND, f"no customer {who} for merchant {args.merchant_id}")


def _export(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        customer = _find(session, args)
        if customer is None:
            return _not_found(args)
        found = customer_export.export(session, args.merchant_id, customer.id, _now())
        if isinstance(found, Rejected):
            return _refuse(found.code, found.message)
        print(found.model_dump_json(indent=2))
    return 0


def _erase(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        customer = _find(session, args)
        if customer is None:
            return _not_found(args)
        by = customer_erasure.ErasedBy(None, "cli")
        erased = customer_erasure.erase(session, args.merchant_id, customer.id, by, _now())
        if isinstance(erased, Rejected):
            return _refuse(erased.code, erased.message)
        session.commit()
        cards = ", ".join(erased.card_numbers) or "none"
        print(
            f"customer {erased.customer_id} erased at {erased.erased_at.isoformat()}; "
            f"cards ({erased.card_policy.value}): {cards}"
        )
    return 0


def _log(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        rows = [_row(e) for e in repo.erasures(session)]
    print(json.dumps({"erasures": rows}, indent=2))
    return 0


def _row(e: CustomerErasure) -> dict[str, Any]:
    return {
        "merchant_id": e.merchant_id,
        "customer_id": e.customer_id,
        "erased_at": e.erased_at.isoformat(),
        "erased_by_user_id": e.erased_by_user_id,
        "via": e.via,
        "card_policy": e.card_policy,
    }


def _reapply(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        if args.log is not None:
            try:
                added = customer_erasure.import_log(session, _read_log(args.log))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                return _refuse("ERASURE_LOG_INVALID", f"{args.log}: {exc}".splitlines()[0])
            print(f"{added} erasures added from {args.log}")
        replayed = customer_erasure.reapply(session, _now())
        session.commit()
    print(
        f"{replayed.erased} erasures applied (again), "
        f"{replayed.missing} name a customer this database does not hold"
    )
    return 0


def _read_log(path: Path) -> list[Any]:
    rows = json.loads(path.read_text())["erasures"]
    if not isinstance(rows, list):
        raise ValueError("'erasures' is not a list")
    return rows
