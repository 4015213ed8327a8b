"""A wall-clock limit around a benchmark part: past it the part fails and says what it
was doing, instead of hanging the run (a server that never answers, a loop that never
ends). The limit is SIGALRM, so it interrupts a blocked wait on the main thread too."""

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# A wall-clock limit per benchmark part, full size (the quick sizes finish far inside
# them); `python -m bench` and each part's own `python -m bench.<module>` use them.
PART_LIMIT_S: dict[str, float] = {
    "anchors": 900,
    "push": 1500,
    "push_profile": 600,
    "push_scaling": 1200,
    "pull": 900,
    "local_ops": 600,
    "qr": 1800,
    "terminal": 2100,
    "propagation": 600,
    "reconnect": 600,
    "till_year": 900,
    "resync": 900,
}

_doing = ["starting"]
_since = [time.monotonic()]


class PastDeadline(RuntimeError):
    pass


def doing(what: str) -> None:
    """Say what the run is doing now: the diagnosis if it passes its deadline."""
    _doing[0], _since[0] = what, time.monotonic()


@contextmanager
def deadline(seconds: float, name: str) -> Iterator[None]:
    """Raise ``PastDeadline`` in the main thread once ``seconds`` have passed (off the
    main thread no signal can be delivered, so there the caller's own limits hold)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signum: int, _frame: FrameType | None) -> None:
        at_it = time.monotonic() - _since[0]
        raise PastDeadline(
            f"{name} passed its {seconds:g} s deadline while {_doing[0]} ({at_it:.0f} s at it)"
        )

    doing("starting")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
