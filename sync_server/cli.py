"""loyalty-server: serve, migrate, demo, and the admin commands."""

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from common.version import VERSION
from sync_server import cli_customers, cli_demo_wallet, cli_ledger, demo
from sync_server.actor import Role
from sync_server.auth import accounts
from sync_server.config import ConfigError, Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.migrate import upgrade
from sync_server.models import Merchant, Store

_NOT_A_URL = (
    "DATABASE_URL is not a database URL "
    "(e.g. sqlite:///var/loyalty.db or postgresql+psycopg://user@host:5432/loyalty)"
)


class CliError(Exception):
    """A refusal worth one line to the operator, never a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ConfigError as exc:
        print(f"error: configuration: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        print(f"error: configuration: {_invalid_settings(exc)}", file=sys.stderr)
        return 1
    try:
        make_url(settings.database_url)
    except ArgumentError:  # its value is not echoed: it may hold a password
        print(f"error: configuration: {_NOT_A_URL}", file=sys.stderr)
        return 1
    try:
        result: int = args.run(args, settings)
        return result
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        # An unreachable or unmigrated database: one line, not a traceback.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(
            f"error: database {_safe_url(settings.database_url)}: {reason}\n"
            "(is it reachable, and up to date? `loyalty-server migrate`)",
            file=sys.stderr,
        )
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loyalty-server", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    sub = parser.add_subparsers(required=True, metavar="command")

    def command(name: str, run: Callable[..., int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.set_defaults(run=run)
        return p

    serve = command("serve", _serve, "run the HTTP server")
    _serve_options(serve)
    serve.add_argument("--migrate", action="store_true", help="upgrade the schema first")
    command("migrate", _migrate, "upgrade the database schema to the latest version")
    demo = command("demo", _demo, "create demo data (once) and print it")
    demo.add_argument("--serve", action="store_true", help="then serve")
    _serve_options(demo)
    p = command("create-merchant", _create_merchant, "create a merchant")
    p.add_argument("name")
    p = command("create-store", _create_store, "create a store of a merchant")
    p.add_argument("--merchant-id", type=int, required=True)
    p.add_argument("--timezone", default="UTC")
    p.add_argument("name")
    for name, role in (
        ("create-owner", Role.MERCHANT_OWNER),
        ("create-manager", Role.STORE_MANAGER),
    ):
        p = command(name, _create_user, f"create a {role.value.replace('_', ' ')} login")
        p.set_defaults(role=role)
        p.add_argument("--merchant-id", type=int, required=role is Role.MERCHANT_OWNER)
        p.add_argument("--store-id", type=int, required=role is Role.STORE_MANAGER)
        p.add_argument("--password", help="else $LOYALTY_PASSWORD, else asked")
        p.add_argument("email")
    p = command("pairing-code", _pairing_code, "issue a one-time code to pair a till")
    p.add_argument("--store-id", type=int, required=True)
    p = command("verify-ledger", _verify_ledger, "recompute each merchant's ledger hash chain")
    p.add_argument("--merchant-id", type=int, help="only this merchant")
    cli_ledger.register(command)
    cli_customers.register(command)
    cli_demo_wallet.register(command)
    p = command(
        "wallet-worker",
        _wallet_worker,
        "make wallet passes follow the ledger (APNs pushes, Google updates), apart from serve",
    )
    p.add_argument("--once", action="store_true", help="one run, print what it did, exit")
    return parser


def _serve_options(p: argparse.ArgumentParser) -> None:
    # Unset options come from the settings (LOYALTY_HOST, LOYALTY_PORT, LOYALTY_WORKERS),
    # so one command line serves every environment.
    p.add_argument("--host", help="default $LOYALTY_HOST, else 127.0.0.1")
    p.add_argument("--port", type=int, help="default $LOYALTY_PORT, else 8000")
    p.add_argument("--workers", type=int, help="default $LOYALTY_WORKERS, else 1")


def _bind(args: argparse.Namespace, settings: Settings) -> tuple[str, int, int]:
    return (
        args.host or settings.host,
        args.port or settings.port,
        args.workers or settings.workers,
    )


def _invalid_settings(exc: ValidationError) -> str:
    """Which settings are wrong and why, without echoing their values (secrets)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
    )


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """One session for one command; the engine goes with it (SQLite's WAL is checkpointed)."""
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)
    print(f"schema up to date on {_safe_url(settings.database_url)}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from sync_server import serving

    if getattr(args, "migrate", False):
        upgrade(settings.database_url)
    else:
        _refuse_unusable_database(settings.database_url)
    host, port, workers = _bind(args, settings)
    if settings.log_format == "plain":
        print(f"serving on http://{host}:{port} (API docs at /docs)", flush=True)
    serving.run(settings, host, port, workers)
    return 0


def _refuse_unusable_database(database_url: str) -> None:
    """``serve`` refuses a database file that does not exist and a schema that is not
    migrated or behind this code: every request would answer 500. One line on what to
    run instead."""
    from sync_server.observability import readiness

    where = _safe_url(database_url)
    url = make_url(database_url)
    file = url.database if url.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not os.path.exists(str(file)):
        raise CliError(  # connecting would have made an empty file
            f"database {where}: no such file; create it with "
            "loyalty-server migrate (or serve --migrate)"
        )
    engine = make_engine(database_url)
    try:
        state = readiness.check(engine)
    finally:
        engine.dispose()
    if state.code == "DATABASE_UNAVAILABLE":
        # A server may come up before its database (a host booting, a container set):
        # it serves and /health/ready answers 503 until the database does.
        print(
            f"warning: database {where} does not answer yet ({state.detail.get('error')}); "
            "serving, not ready until it does",
            file=sys.stderr,
            flush=True,
        )
        return
    if not state.ready:
        behind = "not migrated" if state.code == "SCHEMA_NOT_MIGRATED" else "out of date"
        raise CliError(
            f"database {where}: schema {behind}; run loyalty-server migrate (or serve --migrate)"
        )


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
    upgrade(settings.database_url)
    with _session(settings) as session:
        if not demo.has_data(session):
            info: demo.DemoInfo | None = demo.seed_demo(session, settings)
            session.commit()
            print(f"Demo data created in {_safe_url(settings.database_url)}")
        else:
            info = demo.describe_demo(session)
            print("Demo data already present; nothing added." if info else _NOT_DEMO)
    if info is not None:
        _print_demo(info)
    host, port, _ = _bind(args, settings)
    base = f"http://{host}:{port}"
    print(f"Server: {base}  (API docs: {base}/docs)")
    if args.serve:
        return _serve(args, settings)
    return 0


_NOT_DEMO = "The database already holds data that is not the demo; nothing added."


def _print_demo(info: demo.DemoInfo) -> None:
    print(f"Merchant #{info.merchant_id} {demo.MERCHANT!r}")
    print(f"  owner login: {demo.OWNER_EMAIL} / {demo.OWNER_PASSWORD}")
    for store_id, name, manager in info.stores:
        print(f"  store #{store_id} {name}: manager {manager} / {demo.MANAGER_PASSWORD}")
    for store_id, staff, pin in info.staff:
        print(f"  staff PIN store #{store_id}: {staff} {pin}")
    for number, name, qr in info.cards:
        print(f"  card {number} {name}  QR {qr}")


def _create_merchant(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        merchant = accounts.create_merchant(session, args.name)
        session.commit()
        print(f"merchant {merchant.id}")
    return 0


def _create_store(args: argparse.Namespace, settings: Settings) -> int:
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CliError(f"unknown time zone {args.timezone!r}") from exc
    with _session(settings) as session:
        if session.get(Merchant, args.merchant_id) is None:
            raise CliError(f"no merchant {args.merchant_id}")
        store = accounts.create_store(session, args.merchant_id, args.name, args.timezone)
        session.commit()
        print(f"store {store.id}")
    return 0


def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    password = args.password or os.environ.get("LOYALTY_PASSWORD") or getpass.getpass()
    if len(password) < 8:
        raise CliError("the password needs at least 8 characters")
    with _session(settings) as session:
        merchant_id = args.merchant_id
        if args.store_id is not None:
            store = session.get(Store, args.store_id)
            if store is None or (merchant_id is not None and store.merchant_id != merchant_id):
                raise CliError(f"no store {args.store_id} for this merchant")
            merchant_id = store.merchant_id
        if session.get(Merchant, merchant_id) is None:
            raise CliError(f"no merchant {merchant_id}")
        try:
            user = accounts.create_user(
                session, merchant_id, args.email, password, args.role, args.store_id
            )
            session.commit()
        except IntegrityError as exc:
            raise CliError(f"{args.email} already has a login") from exc
        print(f"user {user.id}")
    return 0


def _pairing_code(args: argparse.Namespace, settings: Settings) -> int:
    from sync_server.services.pairing import issue_code

    with _session(settings) as session:
        store = session.get(Store, args.store_id)
        if store is None:
            raise CliError(f"no store {args.store_id}")
        issued = issue_code(session, store, None, datetime.now(UTC))
        session.commit()
        until = f"{issued.expires_at:%H:%M} UTC"
        print(f"pairing code {issued.code} for store {store.id}, valid until {until}")
    return 0


def _verify_ledger(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every chain is intact, 1 at the first broken link (printed)."""
    from sync_server.ledger_chain import verify

    with _session(settings) as session:
        ids = (
            [args.merchant_id]
            if args.merchant_id
            else session.scalars(select(Merchant.id).order_by(Merchant.id)).all()
        )
        broken = 0
        for merchant_id in ids:
            report = verify(session, merchant_id)
            if report.intact:
                print(
                    f"merchant {merchant_id}: {report.entries} entries, chain intact"
                    + cli_ledger.chain_notes(report)
                )
                continue
            broken += 1
            where = f"entry {report.entry_id}" if report.entry_id is not None else "an entry"
            at = f" (position {report.broken_at})" if report.broken_at is not None else ""
            print(
                f"merchant {merchant_id}: BROKEN at {where}{at}: {report.problem}; "
                f"{report.entries} entries before it are intact"
            )
    return 1 if broken else 0


def _wallet_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Every LOYALTY_WALLET_WORKER_SECONDS (5 if 0) until SIGTERM or Ctrl-C."""
    import signal
    import threading
    from dataclasses import asdict

    from sync_server.wallet.edges import edges_from_settings
    from sync_server.wallet.worker import run_forever, run_once

    if settings.wallet_secret is None:
        raise CliError("wallets are off: set LOYALTY_WALLET_SECRET (docs/wallets.md)")
    engine = make_engine(settings.database_url)
    try:
        factory, edges = make_session_factory(engine), edges_from_settings(settings)
        if args.once:
            report = run_once(factory, edges, settings, datetime.now(UTC))
            print(" ".join(f"{k}={v}" for k, v in asdict(report).items()))
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with suppress(KeyboardInterrupt):  # Ctrl-C: stop as SIGTERM does
            run_forever(factory, edges, settings, stop)
    finally:
        engine.dispose()
    return 0


def _safe_url(url: str) -> str:
    """Never print a password that a DATABASE_URL may carry."""
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
