"""``loyalty-server``: serve, migrate, demo, and the admin commands."""

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_server.actor import Role
from sync_server.auth import accounts
from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.migrate import upgrade
from sync_server.models import Merchant, Store


class CliError(Exception):
    """A refusal worth one line to the operator, never a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    try:
        result: int = args.run(args, settings)
        return result
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loyalty-server", description=__doc__)
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
    return parser


def _serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)


def _session(settings: Settings) -> Session:
    return make_session_factory(make_engine(settings.database_url))()


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)
    print(f"schema up to date on {_safe_url(settings.database_url)}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if getattr(args, "migrate", False):
        upgrade(settings.database_url)
    print(f"serving on http://{args.host}:{args.port} (API docs at /docs)", flush=True)
    uvicorn.run(
        "sync_server.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
    )
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from sync_server.demo import MANAGER_PASSWORD, OWNER_EMAIL, OWNER_PASSWORD, has_data, seed_demo

    if settings.database_url.startswith("sqlite:///"):
        os.makedirs(
            os.path.dirname(settings.database_url[len("sqlite:///") :]) or ".", exist_ok=True
        )
    upgrade(settings.database_url)
    with _session(settings) as session:
        if has_data(session):
            print("demo data already present; nothing added")
        else:
            info = seed_demo(session, settings)
            session.commit()
            print(f"Demo merchant #{info.merchant_id} 'Demo Café'")
            for store_id, name, manager in info.stores:
                print(f"  store #{store_id} {name}: manager {manager} / {MANAGER_PASSWORD}")
            for store_id, staff, pin in info.staff:
                print(f"  staff PIN store #{store_id}: {staff} {pin}")
            for number, name, qr in info.cards:
                print(f"  card {number} {name}  QR {qr}")
    print(f"Owner login: {OWNER_EMAIL} / {OWNER_PASSWORD}")
    print(
        f"Server: http://{args.host}:{args.port}  (API docs: http://{args.host}:{args.port}/docs)"
    )
    if args.serve:
        return _serve(args, settings)
    return 0


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


def _safe_url(url: str) -> str:
    """Never print a password that a DATABASE_URL may carry."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
