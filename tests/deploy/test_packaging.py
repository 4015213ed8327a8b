"""The Dockerfile's command line and the systemd unit's run here unchanged.

docker and systemd are not needed: the test reads the exact argv (and the image's ENV)
from the files, runs it with the venv on PATH and a local database and port, waits for
/health/ready, then stops it with SIGTERM as ``docker stop`` and systemd do.
"""

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.deploy.serve import free_port, server_env, serving

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "packaging/server/Dockerfile"
UNIT = ROOT / "packaging/server/loyalty-server.service"

pytestmark = pytest.mark.slow


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined."""
    text = path.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _exec_form(arguments: str) -> list[str]:
    argv = json.loads(arguments)
    assert isinstance(argv, list), "CMD/ENTRYPOINT must use the exec form (a JSON array)"
    return [str(a) for a in argv]


def docker_command() -> tuple[list[str], dict[str, str]]:
    """ENTRYPOINT + CMD of the final stage, and the ENV it sets."""
    stages: list[list[tuple[str, str]]] = []
    for word, rest in _instructions(DOCKERFILE):
        if word == "FROM":
            stages.append([])
        if stages:  # not the ARGs before the first FROM
            stages[-1].append((word, rest))
    final = stages[-1]
    entrypoint = [_exec_form(r) for w, r in final if w == "ENTRYPOINT"]
    cmd = [_exec_form(r) for w, r in final if w == "CMD"]
    env: dict[str, str] = {}
    for word, rest in final:
        if word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return (entrypoint[-1] if entrypoint else []) + cmd[-1], env


def unit_values(key: str) -> list[str]:
    prefix = f"{key}="
    return [
        line.removeprefix(prefix)
        for line in UNIT.read_text().splitlines()
        if line.startswith(prefix)
    ]


def test_the_dockerfile_installs_from_the_lock_with_hashes_as_a_non_root_user():
    steps = _instructions(DOCKERFILE)
    runs = " ".join(r for w, r in steps if w == "RUN")
    assert '--require-hashes -r "${LOCK}"' in runs
    assert ("ARG", "LOCK=requirements-server.lock") in steps  # the server's part of the lock
    assert "--no-deps ." in runs
    final = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM") :]
    assert final[0][1] == "${BASE_IMAGE}"
    assert ("ARG", "BASE_IMAGE=python:3.11-slim") in steps  # make-base-image.sh's here
    assert any(w == "USER" and r not in ("root", "0") for w, r in final)
    assert any(w == "EXPOSE" for w, _ in final)
    assert any(w == "HEALTHCHECK" and "/health/ready" in r for w, r in final)


def test_the_docker_command_line_serves_and_stops_cleanly(tmp_path, sqlite_templates):
    argv, image_env = docker_command()
    assert argv[:2] == ["loyalty-server", "serve"]
    url = sqlite_templates.fresh(tmp_path / "docker.db")  # `docker run … migrate` ran
    port = free_port()
    env = server_env(url, port, **{k: v for k, v in image_env.items() if k != "PATH"})
    env.update(LOYALTY_HOST="127.0.0.1", LOYALTY_PORT=str(port))  # `-p` instead of 0.0.0.0

    with serving(argv, env, port, tmp_path / "docker.log", cwd=tmp_path) as server:
        assert server.terminate() == 0
    assert any(r["msg"].startswith("Started parent process") for r in server.log_records())


def test_the_systemd_unit_command_lines_migrate_serve_and_stop_cleanly(tmp_path):
    (pre,) = unit_values("ExecStartPre")
    (start,) = unit_values("ExecStart")
    assert unit_values("KillSignal") == ["SIGTERM"]
    assert unit_values("EnvironmentFile") == ["/etc/loyalty/server.env"]
    for option in ("NoNewPrivileges", "ProtectSystem", "PrivateTmp", "ReadWritePaths"):
        assert unit_values(option), option
    url = f"sqlite:///{tmp_path / 'systemd.db'}"  # empty: ExecStartPre must migrate it
    port = free_port()
    env = server_env(url, port, LOYALTY_WORKERS="2")  # what /etc/loyalty/server.env sets

    migrated = subprocess.run(
        shlex.split(pre), env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert migrated.returncode == 0, migrated.stderr
    with serving(shlex.split(start), env, port, tmp_path / "systemd.log") as server:
        assert server.terminate() == 0
    assert "Stopping parent process" in server.log_text()
