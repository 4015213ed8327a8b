"""CPU time spent by processes, read from /proc: a server's whole process tree (the
uvicorn supervisor and every worker), the PostgreSQL backends serving one database,
and this process (the simulated tills' threads), so a push figure says where the
machine's cores went per op."""

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0.0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as listed:
                found += [int(child) for child in listed.read().split()]
        except OSError:
            continue
    return found


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        one = todo.pop()
        out.append(one)
        todo += children(one)
    return out


def backends(admin_url: str, db_name: str) -> list[int]:
    """The PostgreSQL backends connected to ``db_name`` now (this machine's server)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (db_name,),
        ).fetchall()
    return [int(pid) for (pid,) in rows]


Finder = Callable[[], list[int]]


@dataclass
class CpuMeter:
    """CPU seconds over a window: each named group of processes, summed, and this
    process. Processes are found at the start and again at the end (a worker or a
    backend that appeared meanwhile counts from its birth); one gone before the end
    counts nothing (its last reading is lost), so the figures are lower bounds."""

    spent: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def window(self, finders: dict[str, Finder]) -> Iterator[None]:
        start = {name: _read(find()) for name, find in finders.items()}
        own, wall = time.process_time(), time.monotonic()
        yield
        self.spent = {"self": time.process_time() - own, "wall": time.monotonic() - wall}
        for name, find in finders.items():
            after = _read(set(find()) | set(start[name]))
            self.spent[name] = sum(
                max(0.0, cpu - start[name].get(pid, 0.0)) for pid, cpu in after.items() if cpu
            )

    def ms_per(self, name: str, count: int) -> float:
        return round(self.spent[name] * 1000 / count, 3) if count else 0.0


def _read(pids: Iterable[int]) -> dict[int, float]:
    return {pid: process_cpu_s(pid) for pid in pids}
