"""The CPU meter of the push benchmarks (bench/proc_cpu.py) counts what a process tree
spends, children and grandchildren included (a worker started during the window counts
from its birth), and nothing of an idle tree."""

import subprocess
import sys
import time
from pathlib import Path

from bench.proc_cpu import CpuMeter, tree

# A parent starts a child that spins SPIN_S of CPU, says so in a file, then sleeps.
SPIN_S = 0.6
_CHILD = (
    "import sys, time\n"
    f"end = time.process_time() + {SPIN_S}\n"
    "while time.process_time() < end: pass\n"
    "open(sys.argv[1], 'w').close()\n"
    "time.sleep(60)\n"
)
_PARENT = (
    "import subprocess, sys\nsubprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]])\n"
)


def _wait_for(path: Path, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while not path.exists():
        assert time.monotonic() < deadline, "the child never finished its spin"
        time.sleep(0.05)


def test_a_tree_s_cpu_includes_its_descendants(tmp_path: Path) -> None:
    """Planted bugs: reading cutime/cstime (fields 13, 14) instead of utime/stime, and
    metering the parent alone (no descendants): each reads ~0 for the spin."""
    started: list[subprocess.Popen[bytes]] = []
    done = tmp_path / "spun"
    meter = CpuMeter()
    try:
        with meter.window({"tree": lambda: tree(started[0].pid) if started else []}):
            started.append(subprocess.Popen([sys.executable, "-c", _PARENT, _CHILD, str(done)]))
            _wait_for(done)
        # the spin, plus two interpreters' start (well under a second of CPU each)
        assert SPIN_S <= meter.spent["tree"] <= SPIN_S + 1.5
        assert meter.ms_per("tree", 1000) == round(meter.spent["tree"], 3)
    finally:
        for proc in started:
            for pid in reversed(tree(proc.pid)):
                subprocess.run(["kill", "-9", str(pid)], check=False)
            proc.wait()


def test_an_idle_tree_costs_nothing() -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(1.0)  # past the interpreter's start
        meter = CpuMeter()
        with meter.window({"tree": lambda: tree(parent.pid)}):
            time.sleep(0.5)
        assert meter.spent["tree"] < 0.05
        assert meter.spent["self"] < 0.05  # this process only slept
    finally:
        parent.kill()
        parent.wait()
