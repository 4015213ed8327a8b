"""SQLAlchemy models of the authoritative ledger (the schema itself comes from Alembic)."""

from sync_server.models.base import Base
from sync_server.models.card import Card, Customer
from sync_server.models.erasure import CustomerErasure
from sync_server.models.ledger import LedgerChainHead, LedgerEntry
from sync_server.models.program import MerchantSettings, Program
from sync_server.models.staff import StaffPin
from sync_server.models.sync import (
    CardAlias,
    PairingCode,
    PinFailureEvent,
    SyncClock,
    SyncOp,
    Terminal,
    Throttle,
)
from sync_server.models.tenancy import ApiToken, Merchant, NumberAllocator, Store, User
from sync_server.models.wallet import WalletPass, WalletPush, WalletRegistration

__all__ = [
    "ApiToken",
    "Base",
    "Card",
    "CardAlias",
    "Customer",
    "CustomerErasure",
    "LedgerChainHead",
    "LedgerEntry",
    "Merchant",
    "MerchantSettings",
    "NumberAllocator",
    "PairingCode",
    "PinFailureEvent",
    "Program",
    "StaffPin",
    "Store",
    "SyncClock",
    "SyncOp",
    "Terminal",
    "Throttle",
    "User",
    "WalletPass",
    "WalletPush",
    "WalletRegistration",
]
