"""The aggregator's quick mode on its cheapest parts: each writes its judged keys, and
the report renders (figures are judged in docs/benchmarks.md, never here)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench import __main__ as bench
from bench import push_mix
from bench.deadline import doing
from bench.pusher import Pusher, PushFailed, push_run


def test_local_ops_and_qr_give_their_judged_keys(tmp_path: Path) -> None:
    results = bench.flatten(bench.part_local_ops(True))
    results.update(bench.part_qr(True, n=2))
    for key in (
        "local_op_p99_ms",
        "pin_verify_p95_ms",
        "qr_decode_p50_ms_720p",
        "qr_empty_frame_p50_ms_720p",
        "qr_decode_rate_hard",
    ):
        assert key in results
    assert 0 <= results["qr_decode_rate_hard"] <= 1

    bench.write(results, quick=True, results_path=tmp_path / "r.json", doc_path=tmp_path / "b.md")
    written = json.loads((tmp_path / "r.json").read_text())
    assert written["local_op_p99_ms"] == results["local_op_p99_ms"]
    assert all(not isinstance(v, dict | list) for v in written.values())
    doc = (tmp_path / "b.md").read_text()
    assert "| `pin_verify_p95_ms` |" in doc
    assert "quick mode" in doc


def test_a_failing_part_is_recorded_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_quick: bool) -> bench.Figures:
        raise RuntimeError("boom")

    monkeypatch.setitem(bench.PARTS, "qr", broken)
    results = bench.run_parts(["qr"], quick=True, log=lambda _line: None)
    assert results["error_qr"] == "RuntimeError: boom"


def test_ratio_targets_are_judged_against_their_anchor() -> None:
    target = next(t for t in bench.TARGETS if t.key == "push_hot_ops_per_s")
    assert bench.verdict(target, {"push_hot_ops_per_s": 60, "pgbench_hot_tps": 100})[2] == "yes"
    assert bench.verdict(target, {"push_hot_ops_per_s": 40, "pgbench_hot_tps": 100})[2] == "NO"
    assert bench.verdict(target, {"pgbench_hot_tps": 100})[2] == "—"


@pytest.mark.postgres
def test_the_anchors_run_on_postgres() -> None:
    from bench import anchors

    results = anchors.run(seconds=1, scale=1)
    assert results["pgbench_simple_tps"] > 0
    assert results["pgbench_hot_tps"] > 0


def test_a_part_past_its_deadline_fails_and_says_what_it_was_doing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Planted bug: run_parts without its deadline lets the part run out its 30 s wait
    and return normally, so no error is recorded."""
    returned = []

    def stuck(_quick: bool) -> bench.Figures:
        doing("waiting for a server that never answers")
        threading.Event().wait(30)
        returned.append(True)
        return {}

    monkeypatch.setitem(bench.PARTS, "stuck", stuck)
    monkeypatch.setitem(bench.DEADLINE_S, "stuck", 0.5)
    results = bench.run_parts(["stuck"], quick=True, log=lambda _line: None)
    assert results["error_stuck"].startswith(
        "PastDeadline: stuck passed its 0.5 s deadline while waiting for a server that "
        "never answers ("
    )
    assert returned == []


def test_a_run_of_some_parts_keeps_the_others_figures_with_their_date(tmp_path: Path) -> None:
    """Planted bug: attributing a key to the first part whose prefix it starts with hands
    push_profile's figures to push, and a push run then drops them."""
    path = tmp_path / "r.json"
    earlier = {
        "bench_date": "2026-11-25 23:17 UTC",
        "push_ops_per_s": 1503.8,
        "push_old_key": 1,
        "push_profile_ms_per_op": 1.6,
        "qr_decode_rate_hard": 1.0,
        "bench_qr_seconds": 19.2,
        "bench_qr_load": "1.0 to 1.2",
        "newpart_p95_ms": 12.0,
        "bench_total_seconds": 785.5,
    }
    path.write_text(json.dumps(earlier))
    bench.write(
        {"push_ops_per_s": 700.0},
        quick=False,
        results_path=path,
        doc_path=tmp_path / "b.md",
        ran=["push"],
    )
    written = json.loads(path.read_text())
    assert written["push_ops_per_s"] == 700.0
    assert "push_old_key" not in written
    assert written["push_profile_ms_per_op"] == 1.6
    assert written["qr_decode_rate_hard"] == 1.0
    assert written["bench_qr_date"] == "2026-11-25 23:17 UTC"
    assert written["bench_push_date"] == written["bench_date"]
    assert written["bench_qr_load"] == "1.0 to 1.2"
    assert written["newpart_p95_ms"] == 12.0  # a part with no prefix listed yet: kept
    assert "bench_total_seconds" not in written  # this run's bookkeeping, not carried
    doc = (tmp_path / "b.md").read_text()
    assert "push_profile (2026-11-25 23:17 UTC), qr (2026-11-25 23:17 UTC)" in doc


def test_the_report_states_each_workload_and_the_figures_before_it(tmp_path: Path) -> None:
    """Planted bug: a report without its Workloads section or its before table."""
    results = {
        "push_ops_per_s": 700.0,
        "push_mix_ops_per_s": 300.0,
        "push_mix": push_mix.MIX_TEXT,
        "push_seed_cards": 100000,
        "pull_100k_cards_s": 6.0,
        "cold_start_s": 2.0,
        "cold_start_cache": "cold",
    }
    bench.write(results, quick=False, results_path=tmp_path / "r.json", doc_path=tmp_path / "b.md")
    doc = (tmp_path / "b.md").read_text()
    assert "## Workloads" in doc
    assert push_mix.MIX_TEXT in doc
    assert "this run's cache was **cold**" in doc
    assert "| `push_ops_per_s` | online stamp/earn only, 100 ops per batch, 100k cards " in doc
    assert "| 1503.8 | 700 | `push_mix_ops_per_s` 300 |" in doc
    judged = {t.key for t in bench.TARGETS if t.judged and t.op != "anchor"}
    assert "push_mix_ops_per_s" in judged
    assert "push_ops_per_s" not in judged


class _Refusing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b"Internal Server Error"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def test_a_push_run_that_gets_errors_fails_with_the_answer() -> None:
    """Planted bug: counting failed pushes without failing the run (the figure would be
    ops per second of a server that answers 500)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        till = Pusher(url, "token", 1, ["1"], seed=0, batch=1)
        with pytest.raises(PushFailed, match="HTTP 500: Internal Server Error"):
            push_run([till], seconds=0.2)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_a_year_at_the_till_stays_smaller_than_the_same_year_unpruned() -> None:
    """Planted bug: a till that never prunes (prune_before's window ignored) keeps the
    whole year: its database is as large as the unpruned one."""
    figures = bench.part_till_year(True)

    assert figures["till_db_mb_after_year"] < figures["till_db_mb_after_year_unpruned"]
    assert figures["till_op_p99_ms_year_start"] > 0
    assert figures["till_op_p99_ms_after_year"] > 0


def test_a_run_without_the_profile_keeps_the_profile_the_last_run_measured(
    tmp_path: Path,
) -> None:
    """Planted bug: the push profile is text kept only in the doc; a run of other parts
    rewrote the doc without it."""
    results, doc = tmp_path / "r.json", tmp_path / "b.md"
    tree = "0.6372 profiled  bench/push_profile.py:39\n`- 0.6372 push  sync_server/sync/push.py:38"
    measured = {"push_profile_ms_per_op": 0.6, "push_profile_tree": tree}
    bench.write(measured, quick=False, results_path=results, doc_path=doc, ran=["push_profile"])

    bench.write(
        {"reconnect_s": 0.5}, quick=False, results_path=results, doc_path=doc, ran=["reconnect"]
    )

    assert "## Where push spends its time" in doc.read_text()
    assert tree in doc.read_text()
