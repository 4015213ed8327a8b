"""The parts of docs/benchmarks.md that say what was measured: each workload, and the
figures from before the realistic workloads beside today's (issue #13, findings 13-16).
"""

from typing import Any

Figures = dict[str, Any]

BEFORE_DATE = "2026-11-25"
# (key, the workload it was measured on then, the figure then): bench/results.json of
# that run (commit c136bb3), before the benchmarks measured the realistic workloads.
BEFORE: tuple[tuple[str, str, float], ...] = (
    ("pgbench_simple_tps", "pgbench -N, 8 clients (anchor)", 2791.9),
    (
        "push_ops_per_s",
        "online stamp/earn only, 100 ops per batch, 100k cards without history",
        1503.8,
    ),
    ("push_hot_ops_per_s", "online stamp/earn only, 100 per batch, 10 hot cards", 1487.5),
    ("pull_100k_cards_s", "100k cards + 100 PINs, no ledger history", 5.18),
    ("cold_start_s", "500 cards, 5 staff, warm file cache, median of 3", 1.28),
    ("cold_start_max_s", "500 cards, 5 staff, warm file cache, max of 3", 1.51),
    ("terminal_rss_mb", "500-card, 5-staff till, 600 s at 30 fps", 206.2),
    ("terminal_rss_max_mb", "500-card, 5-staff till, its peak (then `_peak_mb`)", 209.2),
)
# Where today's realistic figure for a key of the before table lives, if elsewhere.
REALISTIC = {"push_ops_per_s": "push_mix_ops_per_s"}


def _v(results: Figures, key: str) -> str:
    value = results.get(key)
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def workloads(results: Figures) -> list[str]:
    """One paragraph per workload, with the sizes this run actually used."""

    def r(key: str) -> str:
        return _v(results, key)

    prefix = next((p for p in ("push", "pull", "terminal") if f"{p}_seed_cards" in results), "")

    def p(key: str) -> str:
        return r(f"{prefix}_seed_{key}")

    lines = ["## Workloads", ""]
    if prefix:
        lines += [
            f"- **Store set** (push, pull and the till): one merchant, {p('stores')} stores, "
            f"{p('cards')} cards, each with its customer and its creation entry, and "
            f"{p('entries')} ledger entries in all ({p('store_entries')} of them at the first "
            "store), a year of stamps, earns, redemptions, voids and (de)activations "
            "decided by the common/ rules in time order and hash-chained as the server "
            f"seals them; {p('staff')} staff PINs at the first store, 5 at each other. "
            f"Seeded by COPY in {p('s')} s (not counted in any figure), once per run; each "
            "part gets its own copy of it (`CREATE DATABASE … TEMPLATE`, "
            f"{p('copy_s')} s). `bench/store_set.py`.",
        ]
    if "push_ops_per_s" in results:
        lines += [
            f"- **Push**: {r('push_tills')} tills push over HTTP to uvicorn (2 workers) on "
            f"the store set for {r('push_seconds')} s per run; a figure counts reconciled "
            "ops (applied or refused, never a duplicate) per second. *Fast path*: online "
            "stamps and earns only, half each, on random cards (uniform) or 10 cards (hot); "
            f"the server decides them in memory. *Mix*: {r('push_mix')}; enrollments, "
            "offline redemptions, voids and (de)activations take the server's slower ORM "
            "path. Each at "
            f"{r('push_batch')} ops per push, and at 1 and 10 (a till back online with a few "
            "ops). pgbench counts transactions, push counts ops: at 100 ops per push one "
            "push is one transaction of 100 ops.",
        ]
    if "pull_100k_cards_s" in results:
        lines += [
            f"- **Pull**: a new till of the first store pairs and runs its first sync: "
            f"{r('pull_local_cards')} cards and their customers, "
            f"{r('pull_local_staff_pins')} staff PINs and "
            f"{r('pull_sent_transactions')} ledger entries of its store come over the wire "
            "into its SQLite, and the till keeps the "
            f"{r('pull_local_transactions')} of them inside its history window "
            "(`common/retention.py`, 90 days unless the merchant says otherwise; the "
            "pruning is part of the timed sync). The till's database is encrypted "
            "(SQLCipher, as every till runs it); the unencrypted figure "
            "(`pull_100k_cards_plain_s`) is the same first sync into a till without the "
            "key, run in turn with the encrypted ones in the same run (median of "
            f"{r('pull_first_syncs')} each); the till's own CPU time in a first sync: "
            f"{r('pull_first_sync_cpu_s')} s encrypted, {r('pull_first_sync_plain_cpu_s')} s "
            "not (the server runs in other processes). Incremental: another till stamps 100 "
            f"cards, this one pulls (median of {r('pull_incremental_rounds')} rounds).",
        ]
    if "cold_start_s" in results:
        lines += [
            "- **Till**: a child process of that till (paired and synced with the store set: "
            f"{r('terminal_till_cards')} cards, {r('terminal_till_staff_pins')} staff PINs, "
            f"{r('terminal_till_transactions')} ledger entries kept). Cold start: process start "
            "to the main window shown with the camera worker ready (offscreen), "
            f"starts: {r('cold_start_runs')}, each after dropping the OS file cache "
            f"(`sync; echo 3 > /proc/sys/vm/drop_caches`): this run's cache was "
            f"**{r('cold_start_cache')}**; the same starts with a warm cache took "
            f"{r('cold_start_warm_s')} s (max {r('cold_start_warm_max_s')} s). Memory: "
            f"resident set after scanning 1280x720 frames at 30 fps for "
            f"{r('terminal_rss_seconds')} s, and its max over the run.",
        ]
    if "local_op_p99_ms" in results:
        lines += [
            "- **Local ops**: a confirmed offline stamp or earn at a till holding 1000 cards "
            "and 100 staff PINs (SQLite synchronous=FULL, encrypted), PIN check timed "
            "apart; `local_op_plain_p99_ms`: the same ops on an unencrypted database, "
            "timed op for op in turn with the encrypted one. CPU time per op: "
            f"{r('local_op_cpu_mean_ms')} ms encrypted, {r('local_op_plain_cpu_mean_ms')} ms "
            "not.",
        ]
    if "qr_decode_p50_ms_720p" in results:
        lines += ["- **QR**: the generated 720p frame sets of `bench/qr_decode.py`."]
    return [*lines, ""]


def before_table(results: Figures) -> list[str]:
    """The figures before the realistic workloads beside this run's, once."""
    lines = [
        f"## Before the realistic workloads ({BEFORE_DATE})",
        "",
        "Until then push measured only the fast path on cards without history, the first "
        "sync carried no ledger, and the till was a 500-card, 5-staff one started with a "
        "warm cache. The same keys now measure the workloads above; where the judged "
        "figure moved to a new key, it is named.",
        "",
        "| key | then: workload | then | now | realistic figure now |",
        "|---|---|---|---|---|",
    ]
    for key, workload, figure in BEFORE:
        realistic = REALISTIC.get(key)
        now_real = f"`{realistic}` {_v(results, realistic)}" if realistic else "same key"
        lines.append(f"| `{key}` | {workload} | {figure:g} | {_v(results, key)} | {now_real} |")
    return [*lines, ""]
