"""Runs mutants in forked processes of one warm interpreter: ``tools.mutation --check``.

Started with the mutation venv's Python in the copy's ``mutants/`` directory. It
imports what every test imports (the app, the engine, the test support) once, then for
each mutant forks a child that switches the mutant on (``MUTANT_UNDER_TEST``, read by
mutmut's trampolines at each call) and runs pytest on the mutant's tests. One process
per mutant, as mutmut does, without paying the ~4 s of imports each time. A child that
outlives the deadline is killed with its process group: ``timeout``, counted killed.
Code run at import (module constants) is not mutated this way, as in mutmut's own run.

Reads one JSON object on stdin: ``{"args": [...], "deadline": s, "warm": [modules],
"mutants": [[name, [test files]], ...]}``; prints ``[name, verdict]`` JSON lines.
"""

import contextlib
import importlib
import json
import os
import signal
import sys
import time
from typing import Any

VERDICTS = {0: "survived", 5: "no tests"}  # else killed (a test failed or errored)


def _run_child(name: str, args: list[str], tests: list[str]) -> None:
    os.setpgid(0, 0)  # its server processes, if any, die with it
    os.environ["MUTANT_UNDER_TEST"] = name
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    code = 3
    try:
        import pytest

        code = int(pytest.main([*args, *tests]))
    finally:
        os._exit(code)


def verdict(name: str, args: list[str], tests: list[str], deadline: float) -> str:
    pid = os.fork()
    if pid == 0:
        _run_child(name, args, tests)
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return VERDICTS.get(code, "killed")
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "timeout"


def main() -> int:
    job: dict[str, Any] = json.loads(sys.stdin.read())
    sys.path.insert(0, os.getcwd())
    os.environ["MUTANT_UNDER_TEST"] = ""
    for module in job.get("warm", []):
        importlib.import_module(module)
    for name, tests in job["mutants"]:
        print(json.dumps([name, verdict(name, job["args"], tests, job["deadline"])]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
