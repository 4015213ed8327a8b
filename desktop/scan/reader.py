"""The scan loop's Qt-free parts: where frames come from, and which reads count.

A camera that is missing, busy or unplugged is a normal state at a till (the cashier
types the number or uses a USB scanner instead), so opening one fails with a
``CameraUnavailable`` the caller turns into a message, never with a crash.

OpenCV and numpy are imported where a camera is opened, not with this module: the
window imports it, and they would add a quarter of a second to the till's start on
the UI thread; the camera worker loads them on its own thread instead.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Image = NDArray[np.uint8]

log = logging.getLogger(__name__)


class FrameSource(Protocol):
    """Where BGR frames come from: a camera, or generated frames in tests.

    ``read`` blocks until the next frame and returns None once no more will come
    (camera unplugged, stream ended); ``close`` releases the device."""

    def read(self) -> Image | None: ...

    def close(self) -> None: ...


class CameraUnavailable(Exception):
    """No camera answers at this index (absent, unplugged, or held by another app)."""


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """OpenCV prints a warning per absent device; absence is reported our own way."""
    import cv2

    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


class OpenCvCamera:
    """A webcam through ``cv2.VideoCapture``.

    Asks for 1280x720 (enough for a phone-screen code at arm's length) and a
    one-frame buffer, so the preview and the decoder see the present, not a queue.
    A few failed grabs in a row mean the camera is gone: ``read`` then returns None.
    """

    def __init__(
        self, index: int, size: tuple[int, int] = (1280, 720), failures_allowed: int = 5
    ) -> None:
        import cv2

        self.index = index
        self._failures_allowed = failures_allowed
        with _quiet_opencv():
            self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraUnavailable(f"no camera at index {index}")
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        self._capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)

    def read(self) -> Image | None:
        import numpy as np

        for _ in range(self._failures_allowed):
            ok, frame = self._capture.read()
            if ok and frame is not None:
                return np.asarray(frame, dtype=np.uint8)
        log.warning("camera %s stopped delivering frames", self.index)
        return None

    def close(self) -> None:
        self._capture.release()


def list_cameras(max_index: int = 5) -> list[int]:
    """The camera indices below ``max_index`` that open, for the settings picker.

    Probing opens each device, which can take a second on some systems: call it off
    the UI thread."""
    import cv2

    found = []
    for index in range(max_index):
        with _quiet_opencv():
            capture = cv2.VideoCapture(index)
        if capture.isOpened():
            found.append(index)
        capture.release()
    return found


class ScanDebouncer:
    """Turns a stream of per-frame reads into scan events.

    A code is reported when it comes into view; it stays "in view" until it has not
    been read for ``hold_seconds`` (frames where the decoder misses it don't count as
    leaving). So a card held up for ten seconds opens once, two cards in the frame
    don't flap, and a different code is reported at once. ``forget`` re-arms: after
    the cashier closes a card, the same card shown again opens again.
    """

    def __init__(self, hold_seconds: float = 2.0) -> None:
        self.hold_seconds = hold_seconds
        self._last_seen: dict[str, float] = {}

    def offer(self, codes: list[str], now: float) -> list[str]:
        """The codes of this frame that are new scans, in frame order."""
        self._last_seen = {
            code: seen for code, seen in self._last_seen.items() if now - seen < self.hold_seconds
        }
        new = [code for code in dict.fromkeys(codes) if code not in self._last_seen]
        for code in codes:
            self._last_seen[code] = now
        return new

    def forget(self) -> None:
        self._last_seen.clear()
