"""How long a till keeps what it no longer needs: settled ops and the store's pulled
history. A till runs for years; without a bound its database grows by every op.

What is never pruned, whatever the window: ops not yet answered by the server, and
refused ops nobody has acknowledged (the attention list is work, not history)."""

from datetime import datetime, timedelta

DEFAULT_HISTORY_DAYS = 90
MIN_HISTORY_DAYS = 7
MAX_HISTORY_DAYS = 3650


def history_days(setting: int | None) -> int:
    """The window a merchant's setting asks for; NULL is the default."""
    if setting is None:
        return DEFAULT_HISTORY_DAYS
    return max(MIN_HISTORY_DAYS, min(MAX_HISTORY_DAYS, setting))


def prune_before(now: datetime, days: int | None) -> datetime:
    """Settled ops and pulled history dated before this instant may go."""
    return now - timedelta(days=history_days(days))
