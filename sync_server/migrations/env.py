"""Alembic environment: the same engine setup as the server, one comparison setup
shared with the drift test."""

from alembic import context

from sync_server.db import make_engine
from sync_server.migrations_compare import COMPARE_OPTIONS
from sync_server.models import Base

target_metadata = Base.metadata


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
