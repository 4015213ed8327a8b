"""Settings from a TOML file named by LOYALTY_CONFIG_FILE, the environment over it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync_server.config import ConfigError, Settings

SCRIPT = str(Path(sys.executable).with_name("loyalty-server"))


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "server.toml"
    monkeypatch.setenv("LOYALTY_CONFIG_FILE", str(path))
    for name in ("LOYALTY_PORT", "LOYALTY_LOG_LEVEL", "DATABASE_URL", "LOYALTY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_settings_come_from_the_file(config_file):
    config_file.write_text(
        'database_url = "postgresql://db.internal/loyalty"\nport = 9001\nlog_level = "DEBUG"\n'
        'metrics_token = "scrape-me"\n'
    )

    settings = Settings()

    assert settings.database_url == "postgresql://db.internal/loyalty"
    assert settings.port == 9001
    assert settings.log_level == "DEBUG"
    assert settings.metrics_token is not None
    assert settings.metrics_token.get_secret_value() == "scrape-me"


def test_the_environment_overrides_the_file_and_the_file_the_defaults(config_file, monkeypatch):
    config_file.write_text('database_url = "sqlite:///from-file.db"\nport = 9001\n')
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("LOYALTY_PORT", "9002")

    settings = Settings()

    assert settings.database_url == "sqlite:///from-env.db"
    assert settings.port == 9002
    assert settings.shutdown_grace_seconds == 30  # in neither: the default


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("port = \n", "not valid TOML"),
        ("prot = 9001\n", "unknown setting(s): prot"),
    ],
)
def test_a_bad_file_is_refused(config_file, content, says):
    config_file.write_text(content)

    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        Settings()


def test_a_missing_file_is_refused(config_file):
    with pytest.raises(ConfigError, match="no such file"):
        Settings()


def _migrate_with(config: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    env.pop("DATABASE_URL", None)
    env["LOYALTY_CONFIG_FILE"] = str(config)
    return subprocess.run(
        [SCRIPT, "migrate"], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('database_url = "sqlite:///x.db\n', "not valid TOML"),
        ("prot = 9001\n", "unknown setting(s): prot"),
        ('port = "eighty"\nmetrics_token = 5\n', "port: Input should be a valid integer"),
    ],
)
def test_the_cli_says_what_is_wrong_in_one_line(tmp_path, content, says):
    config = tmp_path / "server.toml"
    config.write_text(content)

    result = _migrate_with(config, tmp_path)

    assert result.returncode == 1
    assert result.stderr.startswith("error: configuration: ")
    assert says in result.stderr
    assert result.stderr.count("\n") == 1  # one line, no traceback
    assert "eighty" not in result.stderr  # values are not echoed (they may be secrets)


def test_the_cli_runs_on_the_file_alone(tmp_path):
    config = tmp_path / "server.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "fromfile.db"}"\n')

    result = _migrate_with(config, tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fromfile.db").exists()
