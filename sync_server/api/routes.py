"""Mount every router of the server."""

from fastapi import APIRouter, FastAPI

from sync_server.api import (
    auth,
    monitoring,
    sync,
    terminals,
    wallet_apple,
    wallet_links,
    wallet_till,
)
from sync_server.api.store import cards, customers, operations, pins, program

STORE_PREFIX = "/api/v1/store/loyalty"


def install_routes(app: FastAPI) -> None:
    store = APIRouter(prefix=STORE_PREFIX)
    for module in (program, pins, cards, operations):
        store.include_router(module.router)
    app.include_router(monitoring.router)
    app.include_router(auth.router)
    app.include_router(sync.router)
    app.include_router(terminals.router)
    app.include_router(customers.router)
    app.include_router(wallet_apple.router)
    app.include_router(wallet_links.router)
    app.include_router(wallet_till.router)
    app.include_router(store)
