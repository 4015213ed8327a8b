"""The aggregator's quick mode on its cheapest parts: each writes its judged keys, and
the report renders (figures are judged in docs/benchmarks.md, never here)."""

import json
from pathlib import Path

import pytest

from bench import __main__ as bench


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
