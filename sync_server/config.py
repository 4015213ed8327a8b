"""Server configuration from the environment (``LOYALTY_*``, and ``DATABASE_URL``)."""

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # Offline defaults; each merchant may override them.
    offline_max_cache_age_minutes: int = 24 * 60
    offline_max_redemptions_per_card: int = 2
    offline_max_points_per_card: int = 500
    offline_overspend_policy: Literal["allow", "reject"] = "allow"
    # An op older than this (after clock correction) is dated to this bound.
    offline_max_age_days: int = 14

    @property
    def offline_max_age(self) -> timedelta:
        return timedelta(days=self.offline_max_age_days)


@lru_cache
def get_settings() -> Settings:
    return Settings()
