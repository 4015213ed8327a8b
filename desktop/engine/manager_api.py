"""The manager area's link to the server: an owner's or store manager's login, online only.

Each method is one blocking HTTP exchange (run it off the UI thread) that returns a small
value or raises ``ManagerApiError`` with the server's stable code and message. What the
server refuses by role (403) comes back the same way, so the UI shows the server's word.
The password is sent once to log in and kept nowhere; the token lives in memory only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

import httpx

from common import protocol
from common.codes import MESSAGES, Reason
from common.operations import MAX_ADJUSTMENT
from common.pins import is_valid_pin_format
from common.program import Reward
from desktop.engine.server_address import refusal

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")
OFFLINE = "OFFLINE"
INSECURE_ADDRESS = "INSECURE_SERVER_ADDRESS"
BAD_RESPONSE = "BAD_RESPONSE"
BAD_RESPONSE_MESSAGE = "The server's answer cannot be read."
OFFLINE_MESSAGE = "The server cannot be reached; the manager area needs the network."
STORE_API = "/api/v1/store/loyalty"
TERMINALS_API = "/api/v1/terminals"
PINS = f"{STORE_API}/pins"


class ManagerApiError(Exception):
    """A refusal to show as is: the server's code and message, or OFFLINE."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_message(exc: BaseException) -> str:
    """What the manager reads: the server's message, never a traceback."""
    if isinstance(exc, ManagerApiError):
        return exc.message
    return f"Something went wrong in the terminal ({type(exc).__name__})."


@dataclass(frozen=True, slots=True)
class Program:
    loyalty_type: str
    display_name: str
    stamps_target: int
    stamps_reward_description: str
    cooldown_minutes: int
    max_daily_stamps: int
    points_per_currency_unit: int
    welcome_bonus_points: int
    require_staff_pin: bool
    is_active: bool
    points_rewards: tuple[Reward, ...]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LockoutSettings:
    """The merchant's PIN lockout (None: the server default) and what is in force."""

    pin_lockout_attempts: int | None
    pin_lockout_minutes: int | None
    effective_pin_lockout_attempts: int
    effective_pin_lockout_minutes: int
    staff_session_minutes: int | None
    effective_staff_session_minutes: int
    currency: str | None
    effective_currency: str


@dataclass(frozen=True, slots=True)
class StaffPin:
    id: int
    name: str
    staff_id: str | None
    is_active: bool
    failed_attempts: int
    is_locked: bool
    locked_until: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class CardSummary:
    card_id: int
    card_number: str
    customer_name: str | None
    customer_email: str
    points_balance: int
    stamp_count: int
    is_active: bool


@dataclass(frozen=True, slots=True)
class Adjustment:
    card_number: str
    points_delta: int
    points_balance: int
    reason: str
    transaction_id: int


@dataclass(frozen=True, slots=True)
class Terminal:
    id: int
    store_id: int
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class PairingCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TodayFigures:
    """Since midnight in the store's time zone."""

    stamps: int
    points_earned: int
    redemptions: int
    enrollments: int
    transactions: int


@dataclass(frozen=True, slots=True)
class Stats:
    today: TodayFigures
    total_cards: int
    active_cards: int
    outstanding_points: int
    cards_active_30d: int


class ManagerApi:
    """An httpx client holding one store's bearer token. Safe to call from worker threads."""

    def __init__(self, http: httpx.Client, store_id: int, merchant_id: int, role: str) -> None:
        self._http = http
        self.store_id = store_id
        self.merchant_id = merchant_id
        self.role = role

    def __repr__(self) -> str:  # never the token
        return f"ManagerApi(store_id={self.store_id}, role={self.role!r})"

    @property
    def is_owner(self) -> bool:
        return self.role == "merchant_owner"

    @classmethod
    def login(
        cls,
        base_url: str,
        email: str,
        password: str,
        store_id: int | None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        allow_insecure_http: bool = False,
    ) -> ManagerApi:
        """Trade email + password for a token acting for ``store_id``; never over plain
        http:// to another machine (see ``server_address``) unless a lab allows it."""
        refused = refusal(base_url, allow_insecure_http)
        if refused is not None:
            raise ManagerApiError(INSECURE_ADDRESS, refused)
        http = httpx.Client(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers=protocol.till_headers(),
        )
        try:
            body = _call(
                http,
                "POST",
                "/api/v1/auth/login",
                json={"email": email, "password": password, "store_id": store_id},
            )
        except BaseException:
            http.close()
            raise
        token, store, merchant, role = (
            _field(body, k) for k in ("access_token", "store_id", "merchant_id", "role")
        )
        http.headers["Authorization"] = f"Bearer {token}"
        return cls(http, store, merchant, role)

    def logout(self) -> None:
        """Revoke the token on the server, then drop the connection."""
        try:
            self._send("POST", "/api/v1/auth/logout")
        finally:
            self.close()

    def close(self) -> None:
        self._http.close()

    # -- program and settings -------------------------------------------------------

    def program(self) -> Program:
        return _program(self._send("GET", f"{STORE_API}/program"))

    def update_program(self, **changes: Any) -> Program:
        """Send only the given fields (owner only); rewards may be ``Reward`` values."""
        if "points_rewards" in changes:
            changes["points_rewards"] = [_reward_json(r) for r in changes["points_rewards"]]
        return _program(self._send("PUT", f"{STORE_API}/program", json=changes))

    def settings(self) -> LockoutSettings:
        return _build(LockoutSettings, self._send("GET", f"{STORE_API}/settings"))

    def update_settings(
        self,
        pin_lockout_attempts: int | None,
        pin_lockout_minutes: int | None,
        **till: int | str | None,
    ) -> LockoutSettings:
        """None falls back to the server's default (owner only); ``till``:
        ``staff_session_minutes`` and ``currency``, sent only when given."""
        body = {
            "pin_lockout_attempts": pin_lockout_attempts,
            "pin_lockout_minutes": pin_lockout_minutes,
            **till,
        }
        return _build(LockoutSettings, self._send("PUT", f"{STORE_API}/settings", json=body))

    # -- staff PINs -----------------------------------------------------------------

    def staff_pins(self) -> list[StaffPin]:
        body = self._send("GET", PINS)
        return [_build(StaffPin, p) for p in _field(body, "pins")]

    def create_pin(self, name: str, pin: str) -> StaffPin:
        _check_pin_format(pin)
        return _build(StaffPin, self._send("POST", PINS, json={"name": name, "pin": pin}))

    def rename_pin(self, pin_id: int, name: str) -> StaffPin:
        return _build(StaffPin, self._send("PATCH", f"{PINS}/{pin_id}", json={"name": name}))

    def reset_pin(self, pin_id: int, new_pin: str) -> StaffPin:
        """A new PIN also clears the lock."""
        _check_pin_format(new_pin)
        return _build(StaffPin, self._send("PATCH", f"{PINS}/{pin_id}", json={"pin": new_pin}))

    def delete_pin(self, pin_id: int) -> None:
        self._send("DELETE", f"{PINS}/{pin_id}")

    def unlock_pin(self, pin_id: int) -> StaffPin:
        return _build(StaffPin, self._send("POST", f"{PINS}/{pin_id}/unlock"))

    # -- cards and points -----------------------------------------------------------

    def find_card(self, query: str) -> CardSummary:
        """By card number, then customer email, then name."""
        body = self._send("GET", f"{STORE_API}/cards/lookup", params={"q": query.strip()})
        return _build(CardSummary, body)

    def adjust_points(self, card_number: str, delta: int, reason: str) -> Adjustment:
        """Correct a balance by up to ±100000 points with a reason (owner only)."""
        if delta == 0 or abs(delta) > MAX_ADJUSTMENT:
            code = Reason.ADJUSTMENT_OUT_OF_BOUNDS
            raise ManagerApiError(code, MESSAGES[code])
        if not reason.strip():
            raise ManagerApiError("VALIDATION_ERROR", "Give a reason for the adjustment.")
        card = self._send(
            "POST", f"{STORE_API}/cards/lookup", params={"card_number": card_number.strip()}
        )
        body = self._send(
            "POST",
            f"{STORE_API}/cards/{_field(card, 'card_id')}/points/adjust",
            json={"points_delta": delta, "reason": reason.strip()},
        )
        return _build(Adjustment, body)

    # -- terminals (owner only) -----------------------------------------------------

    def terminals(self) -> list[Terminal]:
        return [_build(Terminal, t) for t in _field(self._send("GET", TERMINALS_API), "terminals")]

    def revoke_terminal(self, terminal_id: int) -> Terminal:
        return _build(Terminal, self._send("POST", f"{TERMINALS_API}/{terminal_id}/revoke"))

    def pairing_code(self) -> PairingCode:
        """A one-time code that pairs a new till with this store."""
        return _build(PairingCode, self._send("POST", f"{TERMINALS_API}/pairing-codes"))

    # -- stores ---------------------------------------------------------------------

    def store_names(self) -> dict[int, str]:
        """Every store of the merchant by id, to show names where the API gives ids
        (the merchant-wide figures are the one answer that lists them, for any login)."""
        body = self._send("GET", f"{STORE_API}/stats/merchant")
        try:
            return {
                int(_field(s, "store_id")): str(_field(s, "store_name"))
                for s in _field(body, "stores")
            }
        except (TypeError, ValueError) as exc:
            raise ManagerApiError(BAD_RESPONSE, BAD_RESPONSE_MESSAGE) from exc

    # -- stats ----------------------------------------------------------------------

    def stats(self) -> Stats:
        body = self._send("GET", f"{STORE_API}/stats")
        return _build(Stats, body, today=_build(TodayFigures, _field(body, "today")))

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        return _call(self._http, method, path, **kwargs)


def _program(body: dict[str, Any]) -> Program:
    rewards = tuple(_build(Reward, r) for r in _field(body, "points_rewards"))
    return _build(Program, body, points_rewards=rewards)


def _call(http: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = http.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        raise ManagerApiError(OFFLINE, OFFLINE_MESSAGE) from exc
    if not response.is_success:
        raise _refusal(response)
    try:
        return response.json() if response.content else None
    except ValueError as exc:
        raise ManagerApiError(BAD_RESPONSE, BAD_RESPONSE_MESSAGE) from exc


def _refusal(response: httpx.Response) -> ManagerApiError:
    try:
        body = response.json()
        code, message = str(body["code"]), str(body["message"])
    except (ValueError, KeyError, TypeError):
        return ManagerApiError(
            f"HTTP_{response.status_code}",
            f"The server answered {response.status_code} {response.reason_phrase}.",
        )
    detail = body.get("detail")
    errors = detail.get("errors") if isinstance(detail, dict) else None
    if code == "VALIDATION_ERROR" and isinstance(errors, list) and errors:
        message = f"{message.rstrip('.')}: {'; '.join(_field_error(e) for e in errors)}."
    return ManagerApiError(code, message)


def _field_error(error: Any) -> str:
    """``{"loc": ["body", "stamps_target"], "msg": "..."}`` -> ``stamps_target: ...``."""
    if not isinstance(error, dict):
        return str(error)
    loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query", "path")]
    msg = str(error.get("msg", "")).rstrip(".")
    return f"{'.'.join(loc)}: {msg}" if loc else msg


def _check_pin_format(pin: str) -> None:
    if not is_valid_pin_format(pin):
        raise ManagerApiError("VALIDATION_ERROR", "A staff PIN is 4 to 8 digits.")


def _build(cls: type[D], body: dict[str, Any], **given: Any) -> D:
    """A dataclass from a response body: same field names, ISO times parsed; a body
    without them, or with a time that is none, is BAD_RESPONSE (shown in words)."""
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    try:
        for f in fields(cls):
            value = given[f.name] if f.name in given else body[f.name]
            if isinstance(value, str) and hints[f.name] in (datetime, datetime | None):
                value = datetime.fromisoformat(value)
            values[f.name] = value
    except (KeyError, TypeError, ValueError) as exc:
        raise ManagerApiError(BAD_RESPONSE, BAD_RESPONSE_MESSAGE) from exc
    return cls(**values)


def _field(body: Any, name: str) -> Any:
    """One field of an answer; a body without it is BAD_RESPONSE."""
    if not isinstance(body, dict) or name not in body:
        raise ManagerApiError(BAD_RESPONSE, BAD_RESPONSE_MESSAGE)
    return body[name]


def _reward_json(reward: Reward | dict[str, Any]) -> dict[str, Any]:
    return asdict(reward) if isinstance(reward, Reward) else dict(reward)
