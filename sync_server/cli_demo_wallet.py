"""``loyalty-server demo-wallet DIR``: wallets for the demo, so a cashier trying
./bin/demo sees the Add to wallet QR and the customer's page instead of "not set up".

It makes (once) a self-made certificate chain and a wallet secret in DIR, turns Apple
Wallet on for the demo program, and prints the settings as shell ``export`` lines for
the demo server. Passes signed so verify against the chain's root, not Apple's: a phone
will not add them (docs/wallets.md says what a real merchant needs)."""

import argparse
import secrets
import shlex
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.demo import describe_demo
from sync_server.models import Program
from sync_server.wallet.demo_chain import make_apple_chain

Command = Callable[[str, Callable[..., int], str], argparse.ArgumentParser]
PASS_TYPE_ID = "pass.example.loyalty.demo"  # noqa: S105 - an identifier
TEAM_ID = "DEMOTEAM01"


def register(command: Command) -> None:
    p = command("demo-wallet", _demo_wallet, "set up wallet passes for the demo (not Apple's)")
    p.add_argument("directory", type=Path, help="where the demo's chain and secret live")
    p.add_argument("--base-url", required=True, help="the demo server's address")


def _demo_wallet(args: argparse.Namespace, settings: Settings) -> int:
    directory: Path = args.directory
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret_file = directory / "wallet-secret"
    if not secret_file.exists():
        secret_file.touch(mode=0o600)
        secret_file.write_text(secrets.token_hex(32))
    if not (directory / "pass-key.pem").exists():
        make_apple_chain(directory, PASS_TYPE_ID, TEAM_ID)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        info = describe_demo(session)
        if info is None:
            print("error: no demo data here (loyalty-server demo first)")
            return 1
        session.execute(
            update(Program)
            .where(Program.merchant_id == info.merchant_id)
            .values(apple_wallet_enabled=True)
        )
        session.commit()
    engine.dispose()
    values = {
        "LOYALTY_WALLET_SECRET": secret_file.read_text().strip(),
        "LOYALTY_PUBLIC_BASE_URL": args.base_url,
        "LOYALTY_APPLE_PASS_TYPE_ID": PASS_TYPE_ID,
        "LOYALTY_APPLE_TEAM_ID": TEAM_ID,
        "LOYALTY_APPLE_PASS_CERT_FILE": str((directory / "pass-cert.pem").resolve()),
        "LOYALTY_APPLE_PASS_KEY_FILE": str((directory / "pass-key.pem").resolve()),
        "LOYALTY_APPLE_WWDR_CERT_FILE": str((directory / "wwdr.pem").resolve()),
    }
    for name, value in values.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0
