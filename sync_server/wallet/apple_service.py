"""Apple's pass web service: who may register for a pass, what changed for a device,
the latest pass, and the devices' logs.

Every refusal about a pass is the same 401, whether the token is wrong, the serial
unknown, the pass type another, or the program has Apple Wallet off: a caller learns
nothing about which serials exist."""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from sqlalchemy.orm import Session

from sync_server.config import Settings
from sync_server.errors import ApiError, TooManyAttempts
from sync_server.services import attempts, throttle
from sync_server.wallet import apple_queries as queries
from sync_server.wallet.apple_pass import build_pkpass
from sync_server.wallet.apple_queries import PassRow
from sync_server.wallet.edges import WalletEdges
from sync_server.wallet.passes import auth_token, content_of, token_matches
from sync_server.wallet.ports import PassSigner

log = logging.getLogger(__name__)

# A pass lives on a phone and perhaps a watch; more registrations than this in a window
# is a script. The window stays within the one the login throttle's purge keeps.
REGISTRATIONS_PER_PASS = attempts.Budget("wallet-register", 10, timedelta(minutes=15))
# Posts, not failures: the log endpoint is open (Apple sends no token with it), and a
# device writes to it only when our web service failed it, so a client address that
# posts more than this is flooding the server's log, not reporting.
DEVICE_LOGS_PER_IP = attempts.Budget("wallet-log-ip", 30, timedelta(minutes=15))
assert max(REGISTRATIONS_PER_PASS.window, DEVICE_LOGS_PER_IP.window) <= attempts.LONGEST_WINDOW

_SCHEME = "ApplePass "
# Long runs of token-like characters in a device's log (push tokens, auth tokens, URLs'
# secrets) are cut before logging.
_TOKENISH = re.compile(r"[A-Za-z0-9+/_=-]{24,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOG_LINE_CHARS = 500


def web_service_url(settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}/wallet/apple"


def _unauthorized() -> ApiError:
    return ApiError("UNAUTHORIZED", "The pass or its authentication token is not valid.")


def authorized_pass(
    session: Session,
    settings: Settings,
    edges: WalletEdges,
    pass_type_id: str,
    serial_number: str,
    authorization: str | None,
    *,
    served_only: bool = True,
) -> tuple[PassRow, PassSigner]:
    """The pass the caller holds the token of; ``served_only`` refuses a pass whose
    program has Apple Wallet off (unregistering still works: it only forgets)."""
    signer = edges.signer
    token = authorization[len(_SCHEME) :] if authorization else ""
    if (
        signer is None
        or settings.wallet_secret is None
        or not (authorization or "").startswith(_SCHEME)
        or pass_type_id != signer.pass_type_identifier
    ):
        raise _unauthorized()
    row = queries.pass_by_serial(session, serial_number)
    if row is None or not token_matches(row.wallet_pass, token):
        raise _unauthorized()
    if served_only and not row.apple_enabled:
        raise _unauthorized()
    return row, signer


def register(
    session: Session,
    settings: Settings,
    edges: WalletEdges,
    *,
    device_library_id: str,
    pass_type_id: str,
    serial_number: str,
    authorization: str | None,
    push_token: str,
    now: datetime,
) -> bool:
    """True when the device is new to the pass (201), False when it was known (200)."""
    row, _ = authorized_pass(session, settings, edges, pass_type_id, serial_number, authorization)
    budget = REGISTRATIONS_PER_PASS
    key = budget.key(str(row.wallet_pass.id))
    wait = throttle.blocked_for(session, key, budget.failures, budget.window, now)
    if wait is not None:
        raise TooManyAttempts("Too many registrations for this pass.", wait)
    throttle.count_failure(session, key, budget.window, now)
    return queries.register(session, row.wallet_pass.id, device_library_id, push_token)


def unregister(
    session: Session,
    settings: Settings,
    edges: WalletEdges,
    *,
    device_library_id: str,
    pass_type_id: str,
    serial_number: str,
    authorization: str | None,
) -> None:
    row, _ = authorized_pass(
        session,
        settings,
        edges,
        pass_type_id,
        serial_number,
        authorization,
        served_only=False,
    )
    queries.delete_registration(session, row.wallet_pass.id, device_library_id)


@dataclass(frozen=True, slots=True)
class Updated:
    serial_numbers: list[str]
    last_updated: str


def updated_since(
    session: Session,
    edges: WalletEdges,
    *,
    device_library_id: str,
    pass_type_id: str,
    since_tag: str | None,
) -> Updated | None:
    """The device's passes updated after the tag, or None (204) when there are none,
    which is also the answer for an unknown device or pass type."""
    signer = edges.signer
    if signer is None or pass_type_id != signer.pass_type_identifier:
        return None
    since = int(since_tag) if since_tag else None
    rows = queries.updated_for_device(session, device_library_id, since)
    if not rows:
        return None
    return Updated([serial for serial, _ in rows], str(max(tag for _, tag in rows)))


@dataclass(frozen=True, slots=True)
class LatestPass:
    last_modified: str
    pkpass: bytes | None  # None: not modified since the device's copy (304)


def latest_pass(
    session: Session,
    settings: Settings,
    edges: WalletEdges,
    *,
    pass_type_id: str,
    serial_number: str,
    authorization: str | None,
    if_modified_since: str | None,
) -> LatestPass:
    row, signer = authorized_pass(
        session, settings, edges, pass_type_id, serial_number, authorization
    )
    modified = row.wallet_pass.updated_at.astimezone(UTC).replace(microsecond=0)
    header = format_datetime(modified, usegmt=True)
    since = _http_date(if_modified_since)
    if since is not None and modified <= since:
        return LatestPass(header, None)
    return LatestPass(header, render_pkpass(session, row, settings, signer))


def render_pkpass(session: Session, row: PassRow, settings: Settings, signer: PassSigner) -> bytes:
    """The pass as it is now: the server's balance, signed with the merchant's certificate."""
    if settings.wallet_secret is None:
        raise _unauthorized()
    secret = settings.wallet_secret.get_secret_value().encode()
    wallet_pass = row.wallet_pass
    return build_pkpass(
        content_of(session, wallet_pass),
        signer,
        web_service_url=web_service_url(settings),
        auth_token=auth_token(secret, wallet_pass.serial_number),
        organization_name=row.organization_name,
    )


def record_logs(session: Session, lines: list[str], ip_address: str | None, now: datetime) -> None:
    """Devices report what went wrong with our web service; kept in our log, cut short,
    control characters escaped and token-like runs removed, within a budget per client
    address (its count is a database row, shared by every worker and instance)."""
    charges = [(DEVICE_LOGS_PER_IP, attempts.client_key(ip_address))]
    wait = attempts.wait_needed(session, charges, now)
    if wait is not None:
        raise TooManyAttempts("Too many device logs.", wait)
    attempts.charge(session, charges, now)
    for line in lines:
        log.warning("wallet device log: %s", clean_log_line(line))


def clean_log_line(line: str) -> str:
    text = line[:LOG_LINE_CHARS].encode("ascii", "backslashreplace").decode("ascii")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return _TOKENISH.sub("[redacted]", text)


def _http_date(value: str | None) -> datetime | None:
    if not value or len(value) > 64:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
