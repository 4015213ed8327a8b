# ruff: noqa: S603, S607 - runs git and mutmut, the engineer's own tools
"""Mutation testing per area (docs/mutation.md): one command per area.

    python3 -m tools.mutation sync              # every mutant of the area
    python3 -m tools.mutation sync --sample 4   # every 4th mutant (by name): a quarter
    python3 -m tools.mutation sync --again tests/sync/test_new.py  # survivors vs new tests
    python3 -m tools.mutation sync --report     # the last run's figures again
    python3 -m tools.mutation engine --sample 12 --committed --generate  # mutants only
    python3 -m tools.mutation engine --check    # each unkilled mutant vs its module's tests

mutmut reads a single ``[tool.mutmut]`` section, but each area mutates its own sources
against its own tests. So this copies the working tree (tracked and untracked, not
ignored) to a scratch directory, writes the area's section into that copy's
pyproject.toml and runs mutmut there: the repo never holds a ``mutants/`` directory,
and other people's edits during a run do not reach it. Standard library only: it runs
under any Python and calls mutmut from its own venv (``--mutmut``).

A sample is every k-th mutant in name order (deterministic, spread over every
function); its kill rate estimates the area's. ``--again FILE…`` copies the working
tree's tests/ into the last run's directory and runs the given test files against each
of that run's survivors, switched on the way mutmut does it (``MUTANT_UNDER_TEST``): a
new test cannot bring a killed mutant back, so the killed stay killed, and a survivor
it fails is killed. The verdicts go to ``again.json`` beside mutmut's. Mutants the last
run did not get to (stopped early) or no test reached are tried too; give the area's
own test directories for those, and ``--only GLOB`` to pick them by name. A fresh
process per mutant also reaches code run at import, which mutmut's forks cannot.

``--check`` needs no mutmut run: every mutant of the sample not killed yet runs, in its
own process with a deadline, against the test files its module maps to
(``Area.by_module``, taken from the commit the copy was made of), or the area's tests.
Every file is one of the area's own tests, so narrowing can only lower the figure. A
mutant that outlives the deadline counts as killed (``timeout``), as in mutmut's score.
"""

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = "/tmp/mutvenv/bin/mutmut"  # noqa: S108 - docs/mutation.md's venv
# Everything the tests import; mutmut writes the mutated sources over these copies.
ALSO_COPY = ("tests/", "common/", "sync_server/", "desktop/", "bench/", "tools/")
# SQLite only (PostgreSQL parameters and marks deselected), no server processes.
PYTEST_ARGS = ("-p", "no:cacheprovider", "-p", "no:randomly", "-q", "-x")
SQLITE_ONLY = ("-m", "not slow and not postgres", "-k", "not postgres")


@dataclass(frozen=True)
class Area:
    sources: tuple[str, ...]
    tests: tuple[str, ...]
    pytest_args: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()  # copied, not mutated
    # --check: a module's own test files (fast first), instead of the whole area's.
    by_module: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # --check: imported once before the forks (what every test of the area imports).
    warm: tuple[str, ...] = ("tests.conftest",)


def _terminal(*names: str) -> tuple[str, ...]:
    return tuple(f"tests/terminal/test_{name}.py" for name in names)


# Each till engine module's tests: those that drive it, the fast ones first (tests
# reaching a module through the whole till are many; a survivor ran ~150 of them).
_TILL = ("till_engine", "till_waits_for_the_server")
ENGINE_TESTS = {
    "cache_cipher": _terminal("cache_cipher_edges", "local_store", "encrypted_cache"),
    "cache_key": _terminal("cache_cipher_edges", "encrypted_cache"),
    "customer_cache": _terminal("what_the_till_keeps", "encrypted_cache"),
    "card_intent": _terminal("card_intent"),
    "card_view": _terminal("what_the_cashier_reads", "what_the_till_keeps", "till_engine"),
    "checkpoint": _terminal("checkpoint", "checkpoint_chases", "local_store"),
    "facts": _terminal("voids_at_the_till", *_TILL),
    "history": _terminal("what_the_cashier_reads", "till_engine"),
    "live_feed": _terminal("live_feed_events", "sync_client_runs", "live_feed_at_the_till"),
    "local_schema": _terminal("local_store", "checkpoint"),
    "local_store": _terminal(
        "local_store",
        "local_store_keeps",
        "outcomes_at_the_till",
        "what_the_cashier_reads",
        "pull_apply",
        "checkpoint",
        *_TILL,
        "till_stays_small",
        "encrypted_cache",
    ),
    "lookup": _terminal(
        "finding_a_card", "what_the_cashier_reads", "what_the_till_keeps", "till_engine"
    ),
    "manager_api": _terminal("manager_api_answers", "manager_api", "server_address"),
    "paths": _terminal("data_dir", "local_store", "device_token"),
    "prefetch": _terminal("prefetch"),
    "projection": _terminal("local_store", "outcomes_at_the_till", *_TILL),
    "pull_apply": _terminal("pull_apply", "till_stays_small", *_TILL),
    "pull_page": _terminal(
        "pulled_program_checked", "pull_apply", "till_stays_small", *_TILL, "hostile_input"
    ),
    "push_answer": _terminal("outcomes_at_the_till", *_TILL),
    "server_address": _terminal("server_address_edges", "server_address"),
    "shift": _terminal("shift_at_the_till"),
    "staff": _terminal("pin_lockout", "till_pin_policy", "shift_at_the_till"),
    "sync_client": _terminal(
        "sync_round_states",
        "sync_client_runs",
        "device_token",
        "server_address",
        *_TILL,
        "till_stays_small",
    ),
    "till": _terminal(*_TILL, "pin_lockout", "till_pin_policy"),
    "tokens": _terminal("device_token", "keyring_choice"),
}

AREAS = {
    "common": Area(sources=("common/",), tests=("tests/domain/",)),
    "sync": Area(
        sources=(
            "sync_server/sync/push_attention.py",
            "sync_server/sync/push_batch.py",
            "sync_server/sync/push_pins.py",
            "sync_server/sync/push_records.py",
            "sync_server/sync/push_single.py",
            "sync_server/sync/push_resolution.py",
            "sync_server/sync/push.py",
            "sync_server/sync/pull.py",
            "sync_server/sync/pull_digest.py",
            "sync_server/sync/changes.py",
            "sync_server/sync/offline.py",
        ),
        tests=("tests/sync/", "tests/ledger/"),
        pytest_args=SQLITE_ONLY,
    ),
    # The sync core's modules added after the last sampled run of the whole area.
    "sync-added": Area(
        sources=("sync_server/sync/push_resolution.py", "sync_server/sync/pull_digest.py"),
        tests=("tests/sync/", "tests/ledger/"),
        pytest_args=SQLITE_ONLY,
    ),
    "engine": Area(
        sources=("desktop/engine/",),
        # The crash test kills till processes at random points: slow and not repeatable.
        tests=("tests/terminal/", "--deselect", "tests/terminal/test_crash_safety.py"),
        # The hostile-input property tests draw the same examples for every mutant.
        pytest_args=(*SQLITE_ONLY, "--hypothesis-seed=0"),
        # mutmut 3.8.1 cannot mutate it: its trampoline evaluates ``staff.StaffMember``
        # (the module) after the method named ``staff`` shadows it in the class body.
        skip=("desktop/engine/terminal.py",),
        by_module=ENGINE_TESTS,
        warm=(
            "tests.conftest",
            "pytestqt.plugin",
            "desktop.engine.terminal",
            "tests.support.shop",
            "tests.support.till",
            "tests.support.in_process_server",
        ),
    ),
}


def section(area: Area) -> str:
    """The ``[tool.mutmut]`` section for one area, as TOML."""

    def toml_list(items: tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    return (
        "[tool.mutmut]\n"
        f"source_paths = {toml_list(area.sources)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(area.tests)}\n"
        f"also_copy = {toml_list(ALSO_COPY)}\n"
        f"do_not_mutate = {toml_list(area.skip)}\n"
        f"pytest_add_cli_args = {toml_list((*PYTEST_ARGS, *area.pytest_args))}\n"
    )


def with_section(pyproject: str, area: Area) -> str:
    """pyproject.toml with its mutmut section (up to the next table) replaced."""
    without = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", pyproject)
    return without.rstrip("\n") + "\n\n" + section(area)


def snapshot_commit(workdir: Path, commit: str = "HEAD") -> None:
    """Copies the files of a commit to workdir: others' edits in progress stay out."""
    workdir.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive, check=True)
    (workdir / "commit").write_text(_commit(commit))


def _commit(name: str) -> str:
    ran = subprocess.run(["git", "rev-parse", name], cwd=ROOT, check=True, capture_output=True)
    return ran.stdout.decode().strip()


def snapshot(workdir: Path) -> None:
    """Copies the working tree's files (as they are now, not as committed) to workdir."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith("mutants/"):
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


# mutmut's own first step (mutmut/__main__.py ``_run``), without running any test.
_GENERATE = """
from pathlib import Path
from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants
from mutmut.mutation.trampoline import set_mutant_under_test
from mutmut.utils.file_utils import setup_source_paths
set_mutant_under_test("mutant_generation")
Path("mutants").mkdir(exist_ok=True)
copy_src_dir(); copy_also_copy_files(); setup_source_paths(); create_mutants(1)
"""


def generate(workdir: Path, mutmut: str) -> None:
    python = str(Path(mutmut).with_name("python"))
    subprocess.run([python, "-c", _GENERATE], cwd=workdir, check=True, capture_output=True)


def run(workdir: Path, mutmut: str, max_children: str, names: list[str]) -> None:
    with (workdir / "mutmut.log").open("a") as log:
        command = [mutmut, "run", "--max-children", max_children, *names]
        subprocess.run(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)


def statuses(workdir: Path, mutmut: str) -> dict[str, str]:
    """Every mutant's verdict, by name (``sync_server.sync.pull.x_page__mutmut_3``)."""
    out = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=workdir, check=True, capture_output=True
    ).stdout.decode()
    found = (line.strip().rsplit(": ", 1) for line in out.splitlines() if ": " in line)
    return {name: status for name, status in found}


def report(verdicts: dict[str, str]) -> str:
    """Killed / total per module and overall, then the survivors' names."""
    by_module: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for name, status in verdicts.items():
        by_module[name.split(".x")[0]][status] += 1
    lines = []
    for module, counts in sorted(by_module.items()):
        lines.append(_figure(module, counts))
    lines.append(_figure("all", sum(by_module.values(), Counter())))
    alive = ("survived", "no tests", "not checked", "suspicious")
    lines += [f"  {name}: {s}" for name, s in sorted(verdicts.items()) if s in alive]
    return "\n".join(lines)


def _figure(label: str, counts: Counter[str]) -> str:
    total = sum(counts.values())
    # A mutant that makes the tests hang past mutmut's deadline was noticed: killed.
    killed = sum(counts[s] for s in KILLED)
    rest = ", ".join(f"{s} {n}" for s, n in sorted(counts.items()) if s != "killed")
    return f"{label}: {killed} / {total} killed ({100 * killed / max(total, 1):.1f} %) {rest}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("area", choices=sorted(AREAS))
    parser.add_argument("--workdir", type=Path, help="default /tmp/mutation-<area>")
    parser.add_argument("--mutmut", default=MUTMUT, help=f"default {MUTMUT}")
    parser.add_argument("--max-children", default="1", help="parallel mutants (default 1)")
    parser.add_argument("--sample", type=int, default=1, help="every k-th mutant only")
    parser.add_argument("--again", nargs="+", metavar="TEST", help="survivors vs these tests")
    parser.add_argument(
        "--only",
        default="*",
        help="--again: mutant names matching this glob (--check: globs, comma-separated)",
    )
    parser.add_argument("--report", action="store_true", help="only print the last run")
    parser.add_argument("--committed", action="store_true", help="copy HEAD, not the tree")
    parser.add_argument("--generate", action="store_true", help="make the mutants, run none")
    parser.add_argument("--check", action="store_true", help="unkilled vs their module's tests")
    parser.add_argument("--deadline", type=int, default=300, help="--check: s per mutant")
    parser.add_argument(
        "--tests-at", help="--check: the tests of this commit (default: the copy's)"
    )
    # Options after --again's files go to pytest as they are (--deselect, -k).
    args, pytest_args = parser.parse_known_args(argv)
    if pytest_args and not args.again:
        parser.error(f"unrecognized arguments: {' '.join(pytest_args)}")
    workdir: Path = args.workdir or Path(f"/tmp/mutation-{args.area}")  # noqa: S108
    chosen = workdir / "sample.json"
    if args.check:
        area = AREAS[args.area]
        check(workdir, args.mutmut, area, args.only, args.deadline, args.tests_at)
    elif args.again:
        for tests in (workdir / "tests", workdir / "mutants" / "tests"):
            shutil.copytree(ROOT / "tests", tests, dirs_exist_ok=True)
        again(workdir, args.mutmut, AREAS[args.area], [*args.again, *pytest_args], args.only)
    elif not args.report:
        # A fresh copy each time: mutmut keeps earlier verdicts, stale after a test change.
        shutil.rmtree(workdir, ignore_errors=True)
        (snapshot_commit if args.committed else snapshot)(workdir)
        pyproject = workdir / "pyproject.toml"
        pyproject.write_text(with_section(pyproject.read_text(), AREAS[args.area]))
        if args.sample > 1:
            generate(workdir, args.mutmut)
            names = sorted(statuses(workdir, args.mutmut))[:: args.sample]
            chosen.write_text(json.dumps(names))
            if not args.generate:
                run(workdir, args.mutmut, args.max_children, names)
        elif args.generate:
            generate(workdir, args.mutmut)
        else:
            run(workdir, args.mutmut, args.max_children, [])
    print(report(_of_run(workdir, args.mutmut)))
    return 0


def again(workdir: Path, mutmut: str, area: Area, tests: list[str], only: str = "*") -> None:
    """The last run's survivors, and the mutants no test reached or it did not run,
    against ``tests`` (killed: the tests fail)."""
    verdicts = _of_run(workdir, mutmut)
    python = str(Path(mutmut).with_name("python"))
    found = (
        json.loads((workdir / "again.json").read_text())
        if (workdir / "again.json").exists()
        else {}
    )
    # A hang is a kill too; it need not cost pytest-timeout's 600 s.
    command = [python, "-m", "pytest", *PYTEST_ARGS, "-o", "timeout=120", *area.pytest_args]

    def failed(mutant: str) -> bool:
        env = {**os.environ, "MUTANT_UNDER_TEST": mutant}
        ran = subprocess.run(
            [*command, *tests], cwd=workdir / "mutants", env=env, capture_output=True
        )
        return ran.returncode not in (0, 5)  # 5: none of the tests ran

    if failed(""):
        raise SystemExit(f"{' '.join(tests)} fail without any mutant: fix them first")
    alive = [n for n, s in verdicts.items() if s in ("survived", "no tests", "not checked")]
    for name in sorted(n for n in alive if fnmatch.fnmatch(n, only)):
        # One not run before gets its verdict here: pass the area's tests for those.
        kept = "survived" if verdicts[name] == "not checked" else verdicts[name]
        found[name] = "killed" if failed(name) else kept
        (workdir / "again.json").write_text(json.dumps(found, indent=1))


def check(
    workdir: Path, mutmut: str, area: Area, only: str, deadline: int, tests_at: str | None
) -> None:
    """Each mutant not killed yet against its module's tests, as of the copied commit
    (or ``tests_at``: tests written since), in forked processes of one warm interpreter
    (tools/mutation_runner.py); the verdicts go to ``again.json`` as they come (a
    stopped run resumes)."""
    copied = (workdir / "commit").read_text().strip()
    later = _commit(tests_at) if tests_at else copied

    def version(name: str) -> str:
        """A test file as of the copy (it fits the copied code), or of ``tests_at``
        when it was written since."""
        there = subprocess.run(["git", "cat-file", "-e", f"{copied}:{name}"], cwd=ROOT)
        return copied if there.returncode == 0 else later

    verdicts = _of_run(workdir, mutmut)
    found_at = workdir / "again.json"
    found = json.loads(found_at.read_text()) if found_at.exists() else {}

    of_module: dict[str, list[str]] = {}

    def tests_of(mutant: str) -> list[str]:
        module = mutant.split(".x")[0].rsplit(".", 1)[-1]
        if module not in of_module:
            of_module[module] = _copied_tests(module)
        return of_module[module]

    def _copied_tests(module: str) -> list[str]:
        listed = area.by_module.get(module)
        if not listed:
            return [t for t in area.tests if not t.startswith("-")]
        for name in listed:  # a commit's version, whatever the working tree holds
            shown = subprocess.run(
                ["git", "show", f"{version(name)}:{name}"], cwd=ROOT, capture_output=True
            )
            for place in (workdir / name, workdir / "mutants" / name):
                if shown.returncode == 0:
                    place.parent.mkdir(parents=True, exist_ok=True)
                    place.write_bytes(shown.stdout)
        return [n for n in listed if (workdir / "mutants" / n).exists()]

    # Those never checked first, then the survivors of an earlier check (new tests);
    # within each, the modules with the least test code first (the most verdicts soon).
    globs = only.split(",")
    alive = [
        n
        for n, s in verdicts.items()
        if s not in KILLED and any(fnmatch.fnmatch(n, g) for g in globs)
    ]
    selected = {name: tests_of(name) for name in alive}

    def cost(name: str) -> tuple[bool, int, str]:
        size = sum((workdir / "mutants" / t).stat().st_size for t in selected[name])
        return name in found, size, name

    jobs = [(name, selected[name]) for name in sorted(alive, key=cost)]
    for name, tests in jobs:
        if not tests:
            found[name] = "no tests"
    runnable = [(name, tests) for name, tests in jobs if tests]
    # Every file once, in one run, with no mutant: they must pass as they are.
    # Every file must pass with no mutant; a file seen passing (same content) is not
    # run again: the sources under test are the copy's, the same for every run.
    files = sorted({name for _, tests in runnable for name in tests})
    passed_at = workdir / "clean.json"
    passed = json.loads(passed_at.read_text()) if passed_at.exists() else {}
    blobs = {name: _commit(f"{version(name)}:{name}") for name in files}
    unseen = [name for name in files if passed.get(name) != blobs[name]]
    if unseen:
        clean = list(_forked(workdir, mutmut, area, deadline * 10, [("", unseen)]))
        if clean[0][1] not in ("survived", "no tests"):
            raise SystemExit(f"{' '.join(unseen)}: some fail without any mutant: fix them first")
        passed_at.write_text(json.dumps(passed | {n: blobs[n] for n in unseen}, indent=1))
    for name, answer in _forked(workdir, mutmut, area, deadline, runnable):
        found[name] = answer
        print(f"{name}: {answer}", flush=True)
        found_at.write_text(json.dumps(found, indent=1))
    found_at.write_text(json.dumps(found, indent=1))


def _forked(
    workdir: Path, mutmut: str, area: Area, deadline: int, mutants: list[tuple[str, list[str]]]
) -> Iterator[tuple[str, str]]:
    """(name, verdict) per mutant, as tools/mutation_runner.py gives them."""
    job = {
        "args": [*PYTEST_ARGS, "-o", "timeout=120", *area.pytest_args],
        "deadline": deadline,
        "warm": list(area.warm),
        "mutants": mutants,
    }
    python = str(Path(mutmut).with_name("python"))
    runner = [python, str(ROOT / "tools" / "mutation_runner.py")]
    with subprocess.Popen(
        runner, cwd=workdir / "mutants", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdin is not None
        assert child.stdout is not None
        child.stdin.write(json.dumps(job))
        child.stdin.close()
        for line in child.stdout:
            name, answer = json.loads(line)
            yield name, answer
    if child.returncode != 0:
        raise SystemExit(f"the mutation runner failed ({child.returncode})")


KILLED = ("killed", "caught by type check", "timeout")


def _of_run(workdir: Path, mutmut: str) -> dict[str, str]:
    """The verdicts of the mutants the run was about (its sample, if it took one), with
    the kills of ``--again``."""
    verdicts = statuses(workdir, mutmut)
    if (workdir / "again.json").exists():
        verdicts |= json.loads((workdir / "again.json").read_text())
    chosen = workdir / "sample.json"
    if chosen.exists():
        return {n: verdicts[n] for n in json.loads(chosen.read_text())}
    return verdicts


if __name__ == "__main__":
    sys.exit(main())
