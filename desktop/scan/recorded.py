"""A recorded camera: frames from a file played in a loop at the camera's pace.

There is no webcam in a test lab or a CI box, and the window's guidance (the outline
and hint over a code located but not read) is only seen with frames coming in. This
source plays a recorded burst through the same ``CameraWorker`` a webcam goes through:
``LOYALTY_CAMERA=file:/path/burst.npz`` (an array ``frames``, N x H x W x 3, BGR) or
``file:/path/dir`` (its ``*.png`` in name order).

OpenCV and numpy are imported when a recording is opened, as for a webcam.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.scan.reader import CameraUnavailable, FrameSource

if TYPE_CHECKING:
    from desktop.scan.reader import Image

ENV = "LOYALTY_CAMERA"
PREFIX = "file:"


def load_frames(path: Path) -> list[Image]:
    """The recording's frames, BGR; CameraUnavailable if there are none to play."""
    import cv2
    import numpy as np

    if path.is_dir():
        frames = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted(path.glob("*.png"))]
        found = [np.asarray(f, np.uint8) for f in frames if f is not None]
    elif path.suffix == ".npz" and path.is_file():
        with np.load(path) as data:
            stack = data["frames"] if "frames" in data.files else None
        found = [np.asarray(f, np.uint8) for f in stack] if stack is not None else []
    else:
        found = []
    if not found or any(f.ndim != 3 or f.shape[2] != 3 for f in found):
        raise CameraUnavailable(f"no BGR frames to play in {path}")
    return found


class RecordedCamera:
    """Plays ``frames`` in a loop, one every ``1 / fps`` seconds (``read`` waits for
    the next one's time, as a webcam's does); ``loops`` ends it (None: for ever)."""

    def __init__(
        self,
        frames: list[Image],
        fps: float = 30.0,
        loops: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._frames = frames
        self._interval = 1.0 / fps
        self._loops = loops
        self._clock, self._sleep = clock, sleep
        self._next = 0
        self._due = clock()

    def read(self) -> Image | None:
        if self._loops is not None and self._next >= self._loops * len(self._frames):
            return None
        wait = self._due - self._clock()
        if wait > 0:
            self._sleep(wait)
        self._due = max(self._due, self._clock()) + self._interval  # late: no backlog
        frame = self._frames[self._next % len(self._frames)]
        self._next += 1
        return frame.copy()  # a camera's buffer is the caller's own

    def close(self) -> None:
        self._frames = []


def source_from_env(environ: Mapping[str, str]) -> Callable[[int], FrameSource] | None:
    """The camera source ``LOYALTY_CAMERA=file:PATH`` asks for (the camera index is then
    ignored), or None for the webcams; an unknown form raises ValueError."""
    wanted = environ.get(ENV, "").strip()
    if not wanted:
        return None
    if not wanted.startswith(PREFIX):
        raise ValueError(f"{ENV} must be file:PATH (a .npz of frames or a folder of PNGs)")
    path = Path(wanted.removeprefix(PREFIX)).expanduser()
    return lambda _index: RecordedCamera(load_frames(path))
