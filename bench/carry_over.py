"""A run of some parts keeps the other parts' figures from the previous results (each
with the date it was measured), so one part's run never erases another's figures."""

from typing import Any

Figures = dict[str, Any]

# The keys each part writes (by prefix), so a run of some parts keeps the others'.
PART_KEYS = {
    "anchors": ("pgbench_",),
    "push": ("push_",),
    "push_profile": ("push_profile_",),
    "push_scaling": ("push_scaling_",),
    "pull": ("pull_",),
    "local_ops": ("local_", "pin_"),
    "qr": ("qr_",),
    "terminal": ("cold_start_", "terminal_"),
    "propagation": ("propagation_",),
    "reconnect": ("reconnect_",),
    "till_year": ("till_",),
    "resync": ("resync_",),
    "idle_tills": ("idle_",),
}
_PER_RUN = ("bench_", "machine_", "error_")  # written anew by every run


def carried_over(previous: Figures, ran: list[str]) -> Figures:
    """The figures of the parts this run did not run, from the previous results, each
    part with the date it was measured (``bench_<part>_date``)."""
    kept: Figures = {}
    for part in PART_KEYS:
        owned = [k for k in previous if owner(k) == part]
        if part in ran or not owned:
            continue
        kept.update({k: previous[k] for k in owned})
        for key in (f"bench_{part}_seconds", f"bench_{part}_load", f"error_{part}"):
            if key in previous:
                kept[key] = previous[key]
        kept[f"bench_{part}_date"] = previous.get(f"bench_{part}_date", previous.get("bench_date"))
    # A key no part claims (a part added without its prefix here) is kept rather than lost.
    kept.update(
        {k: v for k, v in previous.items() if owner(k) is None and not k.startswith(_PER_RUN)}
    )
    return kept


def owner(key: str) -> str | None:
    """The part whose longest prefix the key starts with (push_profile_x: push_profile)."""
    matches = [(len(p), part) for part, ps in PART_KEYS.items() for p in ps if key.startswith(p)]
    return max(matches)[1] if matches else None
