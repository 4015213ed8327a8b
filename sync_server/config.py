"""Server configuration: ``LOYALTY_*`` and ``DATABASE_URL`` from the environment, over an
optional TOML file named by ``LOYALTY_CONFIG_FILE`` (environment wins over the file)."""

import os
import tomllib
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_SQLITE = f"sqlite:///{Path('var/loyalty.db').resolve()}"
CONFIG_FILE_ENV = "LOYALTY_CONFIG_FILE"


class ConfigError(ValueError):
    """A configuration file that cannot be used: one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_SQLITE,
        validation_alias=AliasChoices("database_url", "DATABASE_URL", "LOYALTY_DATABASE_URL"),
    )
    # The live feed's LISTEN needs a session connection: behind PgBouncer in transaction
    # mode, point this at PostgreSQL itself. Unset: DATABASE_URL.
    listen_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "listen_database_url", "LISTEN_DATABASE_URL", "LOYALTY_LISTEN_DATABASE_URL"
        ),
    )
    # A till's live-feed stream ends after about this long (spread by a tenth): the till
    # then makes a round (its token checked again) and opens another. Keep it below the
    # balancer's longest connection lifetime (HAProxy's ``timeout tunnel``).
    stream_lifetime_s: float = Field(default=1800.0, ge=0, le=86_400)
    # Threads for the synchronous routes and dependencies of one worker process. More
    # than requests ever run at once: a request holding a pooled connection between two
    # of its thread hops must never wait for a thread that every other request holds
    # while waiting for that connection (a burst of 60 pulls stalled 30 s at 40).
    worker_threads: int = Field(default=400, ge=1, le=10_000)
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
    # The ledger's IP address and user agent of each entry are dropped after this long
    # (``loyalty-server drop-request-metadata``, run daily by a timer); the chain holds.
    request_metadata_days: int = Field(default=90, ge=1, le=36_500)

    # Serving (``loyalty-server serve`` options override these).
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    # SIGTERM: stop accepting, give in-flight requests this long to finish.
    shutdown_grace_seconds: int = Field(default=30, ge=1)
    # The supervisor restarts a worker that does not start, or answer its ping, in this
    # long (uvicorn's 5 s default killed workers still importing on a busy 2-core box).
    worker_healthcheck_seconds: int = Field(default=30, ge=1)
    # Proxies trusted to set X-Forwarded-For/-Proto (the load balancer's address).
    forwarded_allow_ips: str = "127.0.0.1"
    # Logs: one JSON object per line, or plain text for a developer's terminal.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "plain"] = "json"
    # /metrics is open unless a token is set; then it needs "Bearer <token>".
    metrics_token: SecretStr | None = None
    # Where worker processes share their metric files; a fresh temporary one if unset.
    metrics_dir: Path | None = None
    # A terminal counts as active when it called the server this recently.
    active_terminal_minutes: int = Field(default=15, ge=1)

    # Wallet passes (docs/wallets.md). The server's public https address: the passes'
    # webServiceURL and the till's "Add to wallet" links are made from it.
    public_base_url: str = "http://127.0.0.1:8000"
    # Derives each pass's ApplePass token and signs the short-lived add-to-wallet links;
    # unset, wallets stay off (a fixed default would let anyone forge tokens).
    wallet_secret: SecretStr | None = None
    # How long an add-to-wallet link shown at the till works.
    wallet_link_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # The server's wallet worker (passes follow the ledger, APNs pushes) runs this often;
    # 0: not in the server (``loyalty-server wallet-worker`` runs it apart).
    wallet_worker_seconds: float = Field(default=5, ge=0, le=3600)
    # Apple: the pass type id and team, the pass certificate and key (PEM files), the
    # WWDR intermediate (PEM), APNs (token auth: a .p8 key, its key id). Files, never
    # the repository.
    apple_pass_type_id: str | None = None
    apple_team_id: str | None = None
    apple_pass_cert_file: Path | None = None
    apple_pass_key_file: Path | None = None
    apple_pass_key_password: SecretStr | None = None
    apple_wwdr_cert_file: Path | None = None
    apple_apns_key_file: Path | None = None
    apple_apns_key_id: str | None = None
    # api.push.apple.com in production; a local stand-in in tests.
    apple_apns_url: str = "https://api.push.apple.com"
    # Google: the issuer id and the service account's JSON key file.
    google_issuer_id: str | None = None
    google_service_account_file: Path | None = None
    # The program logo Google shows on the pass (an https URL Google can fetch; Google
    # asks for one before it approves the class).
    google_program_logo_url: str | None = None
    google_wallet_api_url: str = "https://walletobjects.googleapis.com/walletobjects/v1"
    google_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
    # Google lets an object notify its holder 3 times a day; more updates are batched.
    google_patches_per_day: int = Field(default=3, ge=1, le=1000)

    @property
    def offline_max_age(self) -> timedelta:
        return timedelta(days=self.offline_max_age_days)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, dotenv_settings]
        path = os.environ.get(CONFIG_FILE_ENV)
        if path:
            sources.append(_toml_source(settings_cls, Path(path)))
        return (*sources, file_secret_settings)


def _toml_source(settings_cls: type[BaseSettings], path: Path) -> PydanticBaseSettingsSource:
    """The file named by the operator must exist, parse, and name only known settings:
    a typo silently ignored would be a setting silently not applied."""
    if not path.is_file():
        raise ConfigError(f"{CONFIG_FILE_ENV}: no such file {path}")
    try:
        source = TomlConfigSettingsSource(settings_cls, toml_file=path)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    unknown = sorted(set(source.toml_data) - _known_keys(settings_cls))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    return source


def _known_keys(settings_cls: type[BaseSettings]) -> set[str]:
    keys: set[str] = set(settings_cls.model_fields)
    for field in settings_cls.model_fields.values():
        alias: Any = field.validation_alias
        if isinstance(alias, AliasChoices):
            keys |= {choice for choice in alias.choices if isinstance(choice, str)}
    return keys


@lru_cache
def get_settings() -> Settings:
    return Settings()
