"""Alembic environment: the same engine setup as the server, one comparison setup
shared with the drift test."""

from typing import Any

from alembic import context

from sync_server.db import make_engine
from sync_server.models import Base
from sync_server.models.base import UTCDateTime

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our UTC type as a plain timezone-aware DateTime: migrations stay free of
    application imports."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


COMPARE_OPTIONS: dict[str, Any] = {
    "compare_type": True,
    "compare_server_default": False,
    "render_item": render_item,
}


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            **COMPARE_OPTIONS,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
