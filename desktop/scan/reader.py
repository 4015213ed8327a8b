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
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

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


@dataclass(frozen=True)
class CameraSettings:
    """What the till asks of a webcam; each is a wish a camera may ignore.

    720p is the default (enough for a card at arm's length, cheap to decode); 1080p
    helps when codes are small (a phone held far off). A negative exposure step darkens
    the picture against glare; autofocus on keeps a card brought close readable."""

    width: int = 1280
    height: int = 720
    exposure_step: float = 0.0
    autofocus: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: object) -> CameraSettings:
        """Tolerant: a missing or odd stored value keeps its default."""
        if not isinstance(raw, dict):
            return cls()
        default = cls()
        size = (raw.get("width"), raw.get("height"))
        width, height = size if size in RESOLUTIONS else (default.width, default.height)
        step = raw.get("exposure_step")
        focus = raw.get("autofocus")
        return cls(
            int(width),
            int(height),
            float(step) if isinstance(step, int | float) and -4 <= step <= 4 else 0.0,
            focus if isinstance(focus, bool) else True,
        )


RESOLUTIONS = ((1280, 720), (1920, 1080))


class OpenCvCamera:
    """A webcam through ``cv2.VideoCapture``.

    Asks for the settings' resolution, autofocus and exposure and a one-frame buffer,
    so the preview and the decoder see the present, not a queue; what the camera
    actually applied is in ``applied`` (many webcams ignore some properties). A few
    failed grabs in a row mean the camera is gone: ``read`` then returns None.
    """

    def __init__(
        self,
        index: int,
        settings: CameraSettings | None = None,
        failures_allowed: int = 5,
    ) -> None:
        import cv2

        self.index = index
        self.settings = settings or CameraSettings()
        self._failures_allowed = failures_allowed
        with _quiet_opencv():
            self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraUnavailable(f"no camera at index {index}")
        self.applied = self._apply(self.settings)

    def _apply(self, settings: CameraSettings) -> dict[str, float]:
        import cv2

        wishes = [
            (cv2.CAP_PROP_FRAME_WIDTH, "width", float(settings.width)),
            (cv2.CAP_PROP_FRAME_HEIGHT, "height", float(settings.height)),
            (cv2.CAP_PROP_BUFFERSIZE, "buffer", 1.0),
            (cv2.CAP_PROP_AUTOFOCUS, "autofocus", 1.0 if settings.autofocus else 0.0),
        ]
        if settings.exposure_step:
            current = self._capture.get(cv2.CAP_PROP_EXPOSURE)
            wishes.append((cv2.CAP_PROP_EXPOSURE, "exposure", current + settings.exposure_step))
        applied = {}
        for prop, name, value in wishes:
            if not self._capture.set(prop, value):
                log.info("camera %s ignores %s=%s", self.index, name, value)
            applied[name] = float(self._capture.get(prop))
        return applied

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

    def in_view(self, now: float) -> bool:
        """Whether a code read lately is still counted in view (its card is open)."""
        return any(now - seen < self.hold_seconds for seen in self._last_seen.values())

    def forget(self) -> None:
        self._last_seen.clear()
