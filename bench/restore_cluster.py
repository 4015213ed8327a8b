"""A throwaway PostgreSQL cluster for the restore drill: initdb in a temporary
directory, its own loopback port, WAL archived with ``cp``, a base backup, and a
point-in-time restore of it into a new data directory.

PostgreSQL refuses to run as root: run as root, its commands run as the postgres user.
Every command has a time limit (``STEP_S``)."""

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench.server_process import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
STEP_S = 60  # any one command, any one wait


def run(argv: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=STEP_S, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        run(["chown", "-R", "postgres", str(path)])


def _pg(tool: str, *args: str) -> list[str]:
    argv = [str(PG_BIN / tool), *args]
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class Cluster:
    data: Path
    port: int = field(default_factory=free_port)
    running: bool = False

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        log = self.data.parent / f"{self.data.name}.log"
        pg_ctl = _pg("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", str(STEP_S))
        run([*pg_ctl, "-o", f"-p {self.port}", "start"])
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            run(_pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(STEP_S), "stop"))
            self.running = False

    def sql(self, query: str, database: str = "postgres") -> Any:
        """The first column of the first row, if any."""
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query.encode())
            row = cursor.fetchone() if cursor.description else None
            return None if row is None else row[0]

    def base_backup(self, to: Path) -> None:
        backup = _pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres")
        run([*backup, "-D", str(to), "-X", "stream", "-c", "fast"])

    def copy_database(self, source: str, target: str) -> None:
        """``pg_dump`` of ``source`` loaded into a new database ``target``: a logical
        restore, as into a new cluster, here on the same one."""
        self.sql(f'CREATE DATABASE "{target}"')
        dump = subprocess.run(
            [str(PG_BIN / "pg_dump"), "--no-owner", f"--dbname={self.url(source)}"],
            capture_output=True,
            timeout=STEP_S,
            check=True,
        ).stdout
        psql = [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        load = [*psql, f"--dbname={self.url(target)}"]
        subprocess.run(load, input=dump, capture_output=True, timeout=STEP_S, check=True)

    def archive_current_wal(self, archive: Path) -> None:
        """Close the current WAL segment and wait until the archiver has copied it."""
        segment = self.sql("SELECT pg_walfile_name(pg_switch_wal())")
        for _ in range(int(STEP_S / 0.1)):
            if (archive / segment).exists():
                return
            time.sleep(0.1)
        raise RuntimeError(f"WAL segment {segment} never reached the archive")


def _append(conf: Path, settings: dict[str, str]) -> None:
    with conf.open("a") as out:
        out.writelines(f"{k} = {v}\n" for k, v in settings.items())


def archiving_primary(root: Path, archive: Path) -> Cluster:
    """A new cluster in ``root``/primary that archives every WAL segment to ``archive``."""
    primary = Cluster(root / "primary")
    run(_pg("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "--no-sync"))
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{root}'",
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": f"'cp %p {archive}/%f'",
        "max_wal_senders": "4",
    }
    _append(primary.data / "postgresql.conf", settings)
    return primary


def restore_to(base: Path, archive: Path, target: str, data: Path) -> tuple[Cluster, float]:
    """The base backup restored into ``data``, replayed from the archive up to ``target``
    and promoted; and the seconds from its start to a primary that takes writes."""
    restored = Cluster(data)
    run(["cp", "-a", str(base), str(data)])
    settings = {
        "restore_command": f"'cp {archive}/%f %p'",
        "recovery_target_time": f"'{target}'",
        "recovery_target_action": "'promote'",
        "archive_mode": "off",
    }
    _append(data / "postgresql.auto.conf", settings)
    (data / "recovery.signal").touch()
    give_to_postgres(data)
    began = time.monotonic()
    restored.start()
    for _ in range(int(STEP_S / 0.1)):
        if restored.sql("SELECT NOT pg_is_in_recovery()"):
            return restored, time.monotonic() - began
        time.sleep(0.1)
    raise RuntimeError("the restored cluster never left recovery")
