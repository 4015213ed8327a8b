"""The ASGI app factory: ``uvicorn --factory sync_server.main:create_app``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from common.version import VERSION
from sync_server.api.docs_page import install_docs
from sync_server.api.errors import install_error_handlers
from sync_server.api.protocol_version import ProtocolVersionGate
from sync_server.api.routes import install_routes
from sync_server.config import Settings
from sync_server.db import make_engine, make_session_factory
from sync_server.observability.wiring import install_observability
from sync_server.sync.change_notices import install_change_notices
from sync_server.sync.feed import Feed, feed_url, running
from sync_server.wallet.edges import edges_from_settings
from sync_server.wallet.worker import running_worker


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="Loyalty sync server",
        version=VERSION,
        description="Authoritative loyalty ledger, store API and terminal sync.",
        docs_url=None,  # install_docs: the same page, saying where its script comes from
        lifespan=_lifespan,
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.wallet_edges = edges_from_settings(settings)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.feed = Feed(feed_url(settings.database_url, settings.listen_database_url))
    install_change_notices(app.state.session_factory, app.state.feed.publish)
    install_error_handlers(app, settings)
    # Around the body limit, auth and routes (the first check), inside the observer
    # (which counts the 426s too).
    app.add_middleware(ProtocolVersionGate)
    install_observability(app, settings)
    install_routes(app)
    install_docs(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
    async with (
        running(app.state.feed),
        running_worker(app.state.session_factory, lambda: app.state.wallet_edges, settings),
    ):
        yield
