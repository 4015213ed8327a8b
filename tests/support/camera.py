"""Camera stand-ins: frames generated from real QR payloads, served through the same
FrameSource interface the webcam uses."""

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from desktop.scan.reader import CameraUnavailable, FrameSource

Image = NDArray[np.uint8]


class GeneratedFrames:
    """A FrameSource of prepared frames; after the last, None (as if unplugged),
    unless ``repeat``, which loops until closed."""

    def __init__(self, images: Sequence[Image], repeat: bool = False) -> None:
        self._images = list(images)
        self._repeat = repeat
        self.reads = 0
        self.closed = False

    def read(self) -> Image | None:
        if self.reads >= len(self._images) and not self._repeat:
            return None
        image = self._images[self.reads % len(self._images)]
        self.reads += 1
        return image

    def close(self) -> None:
        self.closed = True


def serving(source: FrameSource) -> Callable[[int], FrameSource]:
    return lambda _index: source


def no_camera(index: int) -> FrameSource:
    """A camera source for a till PC with no camera at all."""
    raise CameraUnavailable(f"no camera at index {index}")
