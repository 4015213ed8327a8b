"""``python -m bench [--quick] [--parts anchors,push,...]``: every benchmark in one run on
one machine, so each target that depends on the machine is a ratio to an anchor
measured in the same run. Writes bench/results.json (a flat object of named figures)
and docs/benchmarks.md (the table, with the machine, versions and date).

A part that fails records ``error_<part>`` instead of stopping the run.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"

Figures = dict[str, Any]


@dataclass(frozen=True)
class Target:
    key: str
    what: str
    op: str  # "anchor", "<=", ">="
    bound: float = 0.0
    anchor: str | None = None  # bound is then a multiple of this figure


TARGETS = [
    Target("pgbench_simple_tps", "pgbench -N, 8 clients", "anchor"),
    Target(
        "push_ops_per_s",
        "reconciled ops/s, 8 tills, uniform cards",
        ">=",
        1.0,
        "pgbench_simple_tps",
    ),
    Target("pgbench_hot_tps", "pgbench: lock 1 of 10 rows, update, insert", "anchor"),
    Target(
        "push_hot_ops_per_s",
        "reconciled ops/s, 8 tills, 10 hot cards",
        ">=",
        0.5,
        "pgbench_hot_tps",
    ),
    Target("pull_100k_cards_s", "first full sync, 100k cards + 100 PINs", "<=", 8.0),
    Target("pull_incremental_ms", "pull of 100 changed cards (median)", "<=", 50.0),
    Target("local_op_p99_ms", "confirmed offline stamp/earn, PIN excluded", "<=", 3.0),
    Target("pin_verify_p95_ms", "one PIN entry, 100 staff", "<=", 150.0),
    Target("qr_decode_p50_ms_720p", "chosen decoder, 720p frame with a code", "<=", 8.0),
    Target("qr_empty_frame_p50_ms_720p", "chosen decoder, 720p frame without a code", "<=", 10.0),
    Target(
        "qr_decode_rate_hard",
        "single frames read, hard set (bench/qr_frames_hard), vs plain zxing-cpp",
        ">=",
        1.0,
        "qr_zxing_decode_rate_hard",
    ),
    Target(
        "qr_burst_read_rate_readable_min",
        "30-frame bursts read, worst category, of those readable aligned",
        ">=",
        0.99,
    ),
    Target("qr_empty_frame_p95_ms_720p", "stream reader, empty 720p counter frame", "<=", 8.0),
    Target("cold_start_s", "till start to the scan view ready (offscreen)", "<=", 1.5),
    Target("terminal_rss_mb", "resident memory after scanning at 30 fps", "<=", 250.0),
]


# -- the parts ---------------------------------------------------------------------------


def part_anchors(quick: bool) -> Figures:
    from bench import anchors

    return anchors.run(seconds=3, scale=1) if quick else anchors.run(seconds=20, scale=10)


def part_push(quick: bool) -> Figures:
    from bench import push_load

    if quick:
        return push_load.run(cards=2_000, seconds=3, batch=20)
    return push_load.run(cards=100_000, seconds=20, batch=100)


def part_push_profile(quick: bool) -> Figures:
    from bench import push_profile

    return push_profile.run(cards=500, batches=2, batch=20) if quick else push_profile.run()


def part_pull(quick: bool) -> Figures:
    from bench import pull_load

    return pull_load.run(cards=2_000, rounds=2) if quick else pull_load.run(cards=100_000)


def part_local_ops(quick: bool) -> Figures:
    from bench import local_ops

    return dict(local_ops.run(n=30 if quick else 300))


def part_qr(quick: bool, n: int | None = None) -> Figures:
    from bench import qr_decode

    figures: Figures = dict(
        qr_decode.run(n if n is not None else (6 if quick else 63), hard_bursts=1 if quick else 24)
    )
    chosen = qr_decode._key(str(figures["qr_chosen_decoder"]))
    figures["qr_decode_p50_ms_720p"] = figures[f"qr_{chosen}_easy_p50_ms"]
    figures["qr_empty_frame_p50_ms_720p"] = figures[f"qr_{chosen}_empty_p50_ms"]
    return figures


def part_terminal(quick: bool) -> Figures:
    from bench import terminal_load

    if quick:
        return terminal_load.run(rss_seconds=10, cold_runs=1)
    return terminal_load.run(rss_seconds=600, cold_runs=3)


PARTS: dict[str, Callable[[bool], Figures]] = {
    "anchors": part_anchors,
    "push": part_push,
    "push_profile": part_push_profile,
    "pull": part_pull,
    "local_ops": part_local_ops,
    "qr": part_qr,
    "terminal": part_terminal,
}


def flatten(figures: Figures, prefix: str = "") -> Figures:
    out: Figures = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}_"))
        else:
            out[f"{prefix}{key}"] = value
    return out


def run_parts(names: list[str], quick: bool, log: Callable[[str], None] = print) -> Figures:
    results: Figures = {}
    for name in names:
        started = time.monotonic()
        log(f"[bench] {name} …")
        try:
            results.update(flatten(PARTS[name](quick)))
        except Exception as exc:  # one broken part must not lose the others
            traceback.print_exc()
            results[f"error_{name}"] = f"{type(exc).__name__}: {exc}"
        results[f"bench_{name}_seconds"] = round(time.monotonic() - started, 1)
        log(f"[bench] {name} done in {results[f'bench_{name}_seconds']} s")
    return results


# -- the report ----------------------------------------------------------------------------


def verdict(target: Target, results: Figures) -> tuple[str, str, str]:
    """(anchor/target, ratio, met?) for one row."""
    value = results.get(target.key)
    if target.op == "anchor":
        return "anchor", "", ""
    if target.anchor is not None:
        base = results.get(target.anchor)
        bound_text = f"{target.op} {target.bound:g} x {target.anchor}"
        if not isinstance(value, int | float) or not isinstance(base, int | float) or not base:
            return bound_text, "", "—"
        ratio = value / base
        met = ratio >= target.bound if target.op == ">=" else ratio <= target.bound
        return bound_text, f"{ratio:.3f}", "yes" if met else "NO"
    bound_text = f"{target.op} {target.bound:g}"
    if not isinstance(value, int | float):
        return bound_text, "", "—"
    ratio = value / target.bound
    met = value >= target.bound if target.op == ">=" else value <= target.bound
    return bound_text, f"{ratio:.3f}", "yes" if met else "NO"


def machine() -> dict[str, str]:
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "ram": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": _postgres_version(),
        "pyside6": _pyside_version(),
    }


def _postgres_version() -> str:
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception:
        try:
            return subprocess.run(
                ["/usr/bin/pgbench", "--version"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except Exception:
            return "?"


def _pyside_version() -> str:
    try:
        import PySide6

        return str(PySide6.__version__)
    except Exception:
        return "?"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def markdown(results: Figures, info: dict[str, str], quick: bool, date: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (do not edit by hand). Every anchor is measured in the",
        "same run on the same machine, so targets that depend on the machine are ratios.",
        "",
        f"- Date: {date}"
        + (" — **quick mode** (CI-size smoke run, not the real figures)" if quick else ""),
        f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['ram']} RAM, {info['os']}",
        f"- Python {info['python']}, PostgreSQL {info['postgresql']}, PySide6 {info['pyside6']}",
        "",
        "| key | what | figure | anchor/target | ratio | met? |",
        "|---|---|---|---|---|---|",
    ]
    for target in TARGETS:
        bound, ratio, met = verdict(target, results)
        lines.append(
            f"| `{target.key}` | {target.what} | {_fmt(results.get(target.key))} "
            f"| {bound} | {ratio} | {met} |"
        )
    tree = results.get("push_profile_tree")
    if isinstance(tree, str):
        lines += [
            "",
            "## Where push spends its time",
            "",
            f"`python -m bench.push_profile`: {results.get('push_profile_batch')}-op batches "
            "pushed in-process through the real app to PostgreSQL, pyinstrument around "
            f"`sync_server.sync.push`: {results.get('push_profile_ms_per_op')} ms per op "
            f"({results.get('push_profile_cpu_ms_per_op')} ms of it on the CPU), "
            f"{results.get('push_profile_statements_per_batch')} SQL statements per batch.",
            "",
            "```",
            tree.strip("\n"),
            "```",
        ]
    from bench.qr_burst import markdown_table

    lines += markdown_table(results)
    errors = {k: v for k, v in results.items() if k.startswith("error_")}
    if errors:
        lines += ["", "## Parts that failed", ""]
        lines += [f"- `{k}`: {v}" for k, v in errors.items()]
    lines += [
        "",
        "## Every figure",
        "",
        "All figures of the run are in `bench/results.json`.",
        "",
    ]
    return "\n".join(lines)


def write(
    results: Figures, quick: bool, results_path: Path = RESULTS, doc_path: Path = DOC
) -> None:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    figures = {k: v for k, v in results.items() if k != "push_profile_tree"}
    out = {**figures, "bench_date": date, "bench_quick": quick}
    out.update({f"machine_{k}": v for k, v in info.items()})
    results_path.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_text(markdown(results, info, quick, date))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a CI smoke run")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated subset of {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="write results.json and benchmarks.md into this folder instead (CI smoke runs)",
    )
    args = parser.parse_args(argv)
    names = [p for p in args.parts.split(",") if p]
    unknown = [p for p in names if p not in PARTS]
    if unknown:
        parser.error(f"unknown parts: {', '.join(unknown)}")
    started = time.monotonic()
    results = run_parts(names, args.quick)
    results["bench_total_seconds"] = round(time.monotonic() - started, 1)
    results_path, doc_path = RESULTS, DOC
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        results_path, doc_path = args.out / "results.json", args.out / "benchmarks.md"
    write(results, args.quick, results_path, doc_path)
    print(doc_path.read_text())
    return 1 if any(k.startswith("error_") for k in results) else 0


if __name__ == "__main__":
    sys.exit(main())
