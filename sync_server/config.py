"""Server configuration from the environment (``LOYALTY_*``, and ``DATABASE_URL``)."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE = f"sqlite:///{Path('var/loyalty.db').resolve()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_SQLITE,
        validation_alias=AliasChoices("DATABASE_URL", "LOYALTY_DATABASE_URL"),
    )
    token_ttl_hours: int = 12
    pin_lockout_attempts: int = 5
    pin_lockout_minutes: int = 30
    max_body_bytes: int = 1_000_000


@lru_cache
def get_settings() -> Settings:
    return Settings()
