"""A run of some benchmark parts keeps every other part's figures and their dates."""

from bench import carry_over
from bench.__main__ import PARTS


def test_every_part_names_the_keys_it_writes():
    assert sorted(PARTS) == sorted(carry_over.PART_KEYS)


def test_a_part_not_run_keeps_its_figures_with_its_date_and_load():
    previous = {
        "idle_tills_per_server": 2000,
        "bench_idle_tills_date": "2026-11-30 12:00 UTC",
        "bench_idle_tills_load": "0.2 to 0.4",
        "push_ops_per_s": 1400,
        "bench_push_date": "2026-11-30 17:55 UTC",
        "bench_date": "2026-11-30 17:55 UTC",
    }

    kept = carry_over.carried_over(previous, ran=["push"])

    assert kept == {
        "idle_tills_per_server": 2000,
        "bench_idle_tills_date": "2026-11-30 12:00 UTC",
        "bench_idle_tills_load": "0.2 to 0.4",
    }
