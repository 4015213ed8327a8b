"""Who is calling: every store-API request acts for exactly one store of one merchant."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    MERCHANT_OWNER = "merchant_owner"
    STORE_MANAGER = "store_manager"
    TERMINAL = "terminal"


@dataclass(frozen=True, slots=True)
class StoreActor:
    merchant_id: int
    store_id: int
    role: Role
    user_id: int | None = None
    terminal_id: int | None = None

    @property
    def is_owner(self) -> bool:
        return self.role is Role.MERCHANT_OWNER

    @property
    def is_person(self) -> bool:
        return self.role in (Role.MERCHANT_OWNER, Role.STORE_MANAGER)


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """Audit facts recorded on every ledger entry."""

    ip_address: str | None = None
    user_agent: str | None = None
