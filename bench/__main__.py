"""``python -m bench [--quick] [--parts anchors,push,...]``: every benchmark in one run on
one machine, so each target that depends on the machine is a ratio to an anchor
measured in the same run. Writes bench/results.json (a flat object of named figures)
and docs/benchmarks.md (the table, with the machine, versions and date).

A part that fails records ``error_<part>`` instead of stopping the run; every part runs
under a wall-clock deadline (``DEADLINE_S``) and fails with what it was doing when it
passes it. A full run of some parts keeps the other parts' figures from the previous
bench/results.json, each with the date it was measured (bench/carry_over.py).
"""

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.carry_over import PART_KEYS, carried_over
from bench.deadline import PART_LIMIT_S, deadline
from bench.machine import machine
from bench.workloads import before_table, workloads

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
    judged: bool = True  # False: shown beside a judged figure, its ratio not a verdict


_FAST = "online stamp/earn only (fast path)"
_MIX = "realistic mix (Workloads)"
TARGETS = [
    Target("pgbench_simple_tps", "pgbench -N, 8 clients: transactions/s", "anchor"),
    Target(
        "push_mix_ops_per_s",
        f"reconciled ops/s, 8 tills, {_MIX}, 100 ops per push, store set",
        ">=",
        1.0,
        "pgbench_simple_tps",
    ),
    Target(
        "push_ops_per_s",
        f"reconciled ops/s, 8 tills, {_FAST}, 100 ops per push, store set",
        ">=",
        1.0,
        "pgbench_simple_tps",
        judged=False,
    ),
    Target(
        "push_mix_ops_per_s_batch10",
        f"reconciled ops/s, 8 tills, {_MIX}, 10 ops per push",
        ">=",
        1.0,
        "pgbench_simple_tps",
        judged=False,
    ),
    Target(
        "push_mix_ops_per_s_batch1",
        f"reconciled ops/s, 8 tills, {_MIX}, 1 op per push",
        ">=",
        1.0,
        "pgbench_simple_tps",
        judged=False,
    ),
    Target(
        "push_ops_per_s_batch10",
        f"reconciled ops/s, 8 tills, {_FAST}, 10 ops per push",
        ">=",
        1.0,
        "pgbench_simple_tps",
        judged=False,
    ),
    Target(
        "push_ops_per_s_batch1",
        f"reconciled ops/s, 8 tills, {_FAST}, 1 op per push",
        ">=",
        1.0,
        "pgbench_simple_tps",
        judged=False,
    ),
    Target(
        "push_vs_pgbench",
        "push_ops_per_s / pgbench -N run in the push part (same load, 8 clients); the "
        "server's CPU per op is push_cpu_ms_per_op (docs/push-profile.md)",
        ">=",
        1.0,
        judged=False,
    ),
    Target("pgbench_hot_tps", "pgbench: lock 1 of 10 rows, update, insert", "anchor"),
    Target(
        "push_hot_ops_per_s",
        f"reconciled ops/s, 8 tills, 10 hot cards, {_FAST}, 100 ops per push",
        ">=",
        0.5,
        "pgbench_hot_tps",
    ),
    Target(
        "pull_100k_cards_s",
        "first full sync of a store of the store set: 100k cards + customers, 100 PINs, "
        "its ~200k ledger entries; the till's database encrypted (median of 3)",
        "<=",
        8.0,
    ),
    Target(
        "pull_100k_cards_plain_s",
        "the same into an unencrypted database, same run, in turn (median of 3)",
        "<=",
        8.0,
        judged=False,
    ),
    Target("pull_incremental_ms", "pull of 100 changed cards (median), store set", "<=", 50.0),
    Target(
        "local_op_p99_ms",
        "confirmed offline stamp/earn, PIN excluded, the till's database encrypted",
        "<=",
        3.0,
    ),
    Target(
        "local_op_plain_p99_ms",
        "the same, unencrypted database, op for op in turn with the encrypted one",
        "<=",
        3.0,
        judged=False,
    ),
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
    Target(
        "qr_zxing_empty_frame_p95_ms_720p",
        "plain zxing-cpp on the same frames, same loop",
        "<=",
        8.0,
        judged=False,
    ),
    Target(
        "qr_empty_first_frame_p95_ms_720p",
        "stream reader, first frame of each counter (everything new)",
        "<=",
        8.0,
        judged=False,
    ),
    Target(
        "qr_stream_rss_growth_mb",
        "resident memory growth, qr_stream_frames frames through the camera worker",
        "<=",
        5.0,
    ),
    Target(
        "cold_start_s",
        "till start to the scan view ready (offscreen), 100k cards, 100 staff, "
        "file cache dropped (Workloads), median of 3",
        "<=",
        1.5,
    ),
    Target("cold_start_max_s", "the same, max of 3", "<=", 1.5, judged=False),
    Target(
        "terminal_rss_mb",
        "resident memory after scanning at 30 fps, 100k-card 100-staff till",
        "<=",
        250.0,
    ),
    Target("terminal_rss_max_mb", "the same, max over the run", "<=", 250.0, judged=False),
    Target(
        "propagation_p95_ms",
        "a stamp at one till visible at the others of its store, live feed, 8 tills, 2 stores",
        "<=",
        1000.0,
    ),
    Target("propagation_p50_ms", "the same, median", "<=", 1000.0, judged=False),
    Target(
        "propagation_polling_p95_ms",
        "the same without the feed (5 s polling; the tills' own ops make them sync too)",
        "<=",
        5000.0,
        judged=False,
    ),
    Target(
        "reconnect_s",
        "server killed (-9), down 20 s, restarted: the till online again (max of 3)",
        "<=",
        2.0,
    ),
    Target(
        "till_op_p99_ms_after_year",
        "local op p99 after a year at a busy till (600 ops/day, 20k cards, 90-day window)",
        "<=",
        1.5,
        "till_op_p99_ms_year_start",
    ),
    Target("till_op_p99_ms_year_start", "the same at the start of the year", "anchor"),
    Target(
        "till_db_mb_after_year",
        "the till's database after that year, pruned (unpruned: till_db_mb_after_year_unpruned)",
        "<=",
        0.5,
        "till_db_mb_after_year_unpruned",
    ),
    Target("till_db_mb_after_year_unpruned", "the same year, nothing pruned", "anchor"),
    Target(
        "resync_bucket_ms",
        "one card's balance altered in a 100k-card till: final page in hand to repaired "
        "(till's digests, re-pull of its bucket, replace, check), median of 5",
        "<=",
        2000.0,
    ),
    Target("resync_check_ms", "the same check when nothing differs", "<=", 2000.0, judged=False),
    Target(
        "idle_tills_per_server",
        "idle tills on the live feed one server process (1 worker) holds within 5 % of a "
        "core: one stream each, a heartbeat every 25 s, a round and a new stream at each "
        "stream's end (1,800 s), steady state (the largest level measured within 5 %)",
        ">=",
        2000.0,
    ),
    Target(
        "idle_cpu_pct_2000",
        "the same process's CPU with 2,000 idle tills held (% of one core)",
        "<=",
        5.0,
        judged=False,
    ),
    Target(
        "idle_rss_mb_per_1000",
        "its resident memory per 1,000 idle tills held (MB)",
        "<=",
        100.0,
        judged=False,
    ),
]
DEADLINE_S = PART_LIMIT_S  # a wall-clock limit per part
# -- the parts ---------------------------------------------------------------------------


def part_anchors(quick: bool) -> Figures:
    from bench import anchors

    return anchors.run(seconds=3, scale=1) if quick else anchors.run(seconds=20, scale=10)


def part_push(quick: bool) -> Figures:
    from bench import push_load

    if quick:
        return push_load.run(cards=2_000, entries=20_000, seconds=3, batch=20)
    return push_load.run(cards=100_000, entries=1_000_000, seconds=20, batch=100)


def part_push_scaling(quick: bool) -> Figures:
    from bench import push_scaling

    if quick:
        return push_scaling.run((1, 2), cards=2_000, entries=20_000, seconds=3, batch=20)
    return push_scaling.run((1, 2, 3), cards=100_000, entries=1_000_000, seconds=20)


def part_push_profile(quick: bool) -> Figures:
    from bench import push_profile

    return push_profile.run(cards=500, batches=2, batch=20) if quick else push_profile.run()


def part_pull(quick: bool) -> Figures:
    from bench import pull_load

    if quick:
        return pull_load.run(cards=2_000, entries=20_000, rounds=2)
    return pull_load.run(cards=100_000, entries=1_000_000)


def part_local_ops(quick: bool) -> Figures:
    from bench import local_ops

    return dict(local_ops.run(n=30 if quick else 300))


def part_qr(quick: bool, n: int | None = None) -> Figures:
    from bench import qr_decode, qr_memory

    figures: Figures = dict(
        qr_decode.run(n if n is not None else (6 if quick else 63), hard_bursts=1 if quick else 24)
    )
    chosen = qr_decode._key(str(figures["qr_chosen_decoder"]))
    figures["qr_decode_p50_ms_720p"] = figures[f"qr_{chosen}_easy_p50_ms"]
    figures["qr_empty_frame_p50_ms_720p"] = figures[f"qr_{chosen}_empty_p50_ms"]
    figures.update(qr_memory.run(3_000 if quick else qr_memory.HOUR_FRAMES))
    return figures


def part_terminal(quick: bool) -> Figures:
    from bench import terminal_load

    if quick:
        return terminal_load.run(rss_seconds=10, cold_runs=1, cards=2_000, entries=20_000)
    return terminal_load.run(rss_seconds=600, cold_runs=3, cards=100_000, entries=1_000_000)


def part_propagation(quick: bool) -> Figures:
    from bench import propagation

    return propagation.measure(seconds=10 if quick else 60, rate=1.0, polling=not quick)


def part_reconnect(quick: bool) -> Figures:
    from bench import reconnect

    return reconnect.run(rounds=1 if quick else 3, down_s=2.0 if quick else 20.0)


def part_till_year(quick: bool) -> Figures:
    from bench import till_year

    return till_year.run(quick)


def part_resync(quick: bool) -> Figures:
    from bench import resync

    if quick:
        return resync.run(cards=2_000, entries=20_000, rounds=2)
    return resync.run(cards=100_000, entries=1_000_000)


def part_idle_tills(quick: bool) -> Figures:
    from bench import idle_tills

    if quick:
        return idle_tills.run([20], window=10.0)
    return idle_tills.run([500, 1000, 2000, 3000], window=idle_tills.WINDOW_S)


PARTS: dict[str, Callable[[bool], Figures]] = {
    "anchors": part_anchors,
    "push": part_push,
    "push_scaling": part_push_scaling,
    "push_profile": part_push_profile,
    "pull": part_pull,
    "local_ops": part_local_ops,
    "qr": part_qr,
    "terminal": part_terminal,
    "propagation": part_propagation,
    "reconnect": part_reconnect,
    "till_year": part_till_year,
    "resync": part_resync,
    "idle_tills": part_idle_tills,
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
        started, load = time.monotonic(), os.getloadavg()[0]
        log(f"[bench] {name} …")
        try:
            with deadline(DEADLINE_S.get(name, 1800), name):
                results.update(flatten(PARTS[name](quick)))
        except Exception as exc:  # one broken part must not lose the others
            traceback.print_exc()
            results[f"error_{name}"] = f"{type(exc).__name__}: {exc}"
        results[f"bench_{name}_seconds"] = round(time.monotonic() - started, 1)
        results[f"bench_{name}_load"] = f"{load:.1f} to {os.getloadavg()[0]:.1f}"
        log(f"[bench] {name} done in {results[f'bench_{name}_seconds']} s")
    return results


# -- the report ----------------------------------------------------------------------------


def verdict(target: Target, results: Figures) -> tuple[str, str, str]:
    """(anchor/target, ratio, met?) for one row."""
    value = results.get(target.key)
    if target.op == "anchor":
        return "anchor", "", ""
    base: Any = target.bound
    bound_text = f"{target.op} {target.bound:g}"
    if target.anchor is not None:
        bound_text += f" x {target.anchor}"
        anchor = results.get(target.anchor)
        base = anchor * target.bound if isinstance(anchor, int | float) else None
    if not isinstance(value, int | float) or not isinstance(base, int | float) or not base:
        return bound_text, "", "—"
    ratio = value / base * target.bound if target.anchor is not None else value / base
    met = value >= base if target.op == ">=" else value <= base
    if not target.judged:
        return bound_text, f"{ratio:.3f}", "not judged"
    return bound_text, f"{ratio:.3f}", "yes" if met else "NO"


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
        "- Load average (1 min) when the run began and ended: "
        f"{_fmt(results.get('bench_load_start'))} and {_fmt(results.get('bench_load_end'))} "
        f"on {info['cpus']} CPUs",
    ]
    carried = {
        part: results[f"bench_{part}_date"]
        for part in PART_KEYS
        if results.get(f"bench_{part}_date", date) != date
    }
    if carried:
        lines.append(
            "- Carried over from earlier runs (not run this time): "
            + ", ".join(f"{part} ({when})" for part, when in carried.items())
        )
    loads = [(p, results[f"bench_{p}_load"]) for p in PART_KEYS if f"bench_{p}_load" in results]
    if loads:
        lines.append(
            "- Load average (1 min) when each part began and ended: "
            + ", ".join(f"{part} {load}" for part, load in loads)
        )
    lines += [
        "",
        "Targets are judged on the realistic workloads (see Workloads). A row marked *not "
        "judged* shows a figure beside a judged one (the fast path, small batches, a max) "
        "with its ratio to the same bound.",
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
    lines += ["", *workloads(results), *before_table(results)]
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
    from bench.qr_report import markdown_table

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
    results: Figures,
    quick: bool,
    results_path: Path = RESULTS,
    doc_path: Path = DOC,
    ran: list[str] | None = None,
) -> None:
    """Write both files. A full run of some parts (``ran``) keeps the figures of the
    other parts from the previous results, with their dates; a quick run keeps none."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    figures = {k: v for k, v in results.items() if k != "push_profile_tree"}
    if not quick and ran is not None and results_path.exists():
        previous = json.loads(results_path.read_text())
        kept = carried_over(previous, ran)
        figures, results = {**kept, **figures}, {**kept, **results}
        tree = _previous_tree(doc_path)  # the profile is text: kept in the doc only
        if "push_profile" not in ran and tree is not None:
            results["push_profile_tree"] = tree
    dates = {f"bench_{part}_date": date for part in ran or []}
    results = {**results, **dates}
    out = {**figures, **dates, "bench_date": date, "bench_quick": quick}
    out.update({f"machine_{k}": v for k, v in info.items()})
    results_path.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_text(markdown(results, info, quick, date))


def _previous_tree(doc_path: Path) -> str | None:
    """The push profile's tree as the last run that measured it wrote it."""
    if not doc_path.exists():
        return None
    text = doc_path.read_text()
    head = text.find("## Where push spends its time")
    start = text.find("```\n", head) if head >= 0 else -1
    end = text.find("\n```", start + 4) if start >= 0 else -1
    return text[start + 4 : end] if end > start >= 0 else None


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
    started, load_start = time.monotonic(), os.getloadavg()[0]
    results = run_parts(names, args.quick)
    results["bench_total_seconds"] = round(time.monotonic() - started, 1)
    results["bench_load_start"] = round(load_start, 2)
    results["bench_load_end"] = round(os.getloadavg()[0], 2)
    results_path, doc_path = RESULTS, DOC
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        results_path, doc_path = args.out / "results.json", args.out / "benchmarks.md"
    write(results, args.quick, results_path, doc_path, ran=names)
    print(doc_path.read_text())
    return 1 if any(k.startswith("error_") for k in results) else 0


if __name__ == "__main__":
    sys.exit(main())
