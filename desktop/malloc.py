"""glibc malloc settings for a till that decodes 30 camera frames a second.

Each thread that allocates gets a malloc arena of its own (up to 8 per core), and a
freed block returns to the OS only when the arena's top is free: the camera worker,
Qt's pool threads, OpenCV's and the sync thread each keep pages of their churn.
Two arenas are enough for a till's few busy threads. Blocks of 1 MB and more (720p
frames, their QImage copies) are served by mmap and unmapped when freed: glibc would
otherwise raise that threshold to 32 MB after the first frames and keep them in the
heap, where they fragment. Elsewhere than glibc (Windows, macOS) this does nothing.
"""

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 1 << 20


def tune_malloc() -> bool:
    """Call first thing in the process, before threads start. True if applied."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl has no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = bool(mallopt(M_ARENA_MAX, ARENAS)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    if not applied:
        log.warning("mallopt refused the till's malloc settings")
    return applied
