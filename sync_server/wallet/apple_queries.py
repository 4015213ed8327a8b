"""Every query of Apple's web service: passes, their program and merchant, registrations."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync_server.models import Merchant, Program, WalletPass, WalletRegistration
from sync_server.repositories.upsert import insert_ignore


@dataclass(frozen=True, slots=True)
class PassRow:
    wallet_pass: WalletPass
    apple_enabled: bool
    program_name: str
    organization_name: str


def pass_by_serial(session: Session, serial_number: str) -> PassRow | None:
    found = session.execute(
        select(WalletPass, Program.apple_wallet_enabled, Program.display_name, Merchant.name)
        .join(Program, Program.merchant_id == WalletPass.merchant_id)
        .join(Merchant, Merchant.id == WalletPass.merchant_id)
        .where(WalletPass.serial_number == serial_number)
    ).one_or_none()
    if found is None:
        return None
    wallet_pass, enabled, program_name, merchant_name = found
    return PassRow(wallet_pass, bool(enabled), program_name, merchant_name)


def register(session: Session, pass_id: int, device_library_id: str, push_token: str) -> bool:
    """True when the device is new to the pass. Two registrations at once meet on the
    unique (pass, device): one inserts, the other updates the push token."""
    if insert_ignore(
        session,
        WalletRegistration,
        {"pass_id": pass_id, "device_library_id": device_library_id, "push_token": push_token},
    ):
        return True
    session.execute(
        update(WalletRegistration)
        .where(
            WalletRegistration.pass_id == pass_id,
            WalletRegistration.device_library_id == device_library_id,
        )
        .values(push_token=push_token)
    )
    return False


def delete_registration(session: Session, pass_id: int, device_library_id: str) -> int:
    result = session.execute(
        delete(WalletRegistration).where(
            WalletRegistration.pass_id == pass_id,
            WalletRegistration.device_library_id == device_library_id,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def updated_for_device(
    session: Session, device_library_id: str, since_tag: int | None
) -> Sequence[tuple[str, int]]:
    """(serial, update tag) of the device's passes of programs with Apple enabled."""
    query = (
        select(WalletPass.serial_number, WalletPass.update_tag)
        .join(WalletRegistration, WalletRegistration.pass_id == WalletPass.id)
        .join(Program, Program.merchant_id == WalletPass.merchant_id)
        .where(
            WalletRegistration.device_library_id == device_library_id,
            Program.apple_wallet_enabled.is_(True),
        )
        .order_by(WalletPass.serial_number)
    )
    if since_tag is not None:
        query = query.where(WalletPass.update_tag > since_tag)
    return [(serial, int(tag)) for serial, tag in session.execute(query).all()]
