"""The last few frames, kept only where they may show a code.

Glare usually hides a finder pattern in the first frames a card is held up, so the
code is located only some frames later; its earlier frames still show most of its
modules. Keeping, for each recent frame, the patches the texture search pointed at
lets the reader follow a code back into them once it is located.

Bounded by count, not time: at most ``frames`` frames of at most ``per_frame``
patches, each no bigger than ``MAX_SIDE`` pixels a side (a bigger code is read by
zxing's pass over the frame), so at most frames x per_frame x 160 kB.
"""

from collections import deque
from dataclasses import dataclass

import numpy as np

from desktop.scan.locate import Image, Region

MAX_SIDE = 400


@dataclass(frozen=True)
class Patch:
    """A crop of a frame and where its top-left corner was in the frame."""

    origin: tuple[int, int]
    image: Image


class Recent:
    def __init__(self, frames: int = 24, per_frame: int = 2) -> None:
        self._frames: deque[list[Patch]] = deque(maxlen=max(1, frames))
        self._per_frame = per_frame

    def __len__(self) -> int:
        return len(self._frames)

    def clear(self) -> None:
        self._frames.clear()

    def keep(self, grey: Image, regions: list[Region]) -> None:
        """This frame's patches around ``regions`` (a frame without any counts too)."""
        patches = []
        for region in regions[: self._per_frame]:
            x, y, w, h = region.box
            pad = max(w, h) // 4 + 4
            x0, y0 = max(0, x - pad), max(0, y - pad)
            x1, y1 = min(grey.shape[1], x + w + pad), min(grey.shape[0], y + h + pad)
            if max(x1 - x0, y1 - y0) <= MAX_SIDE:
                patches.append(Patch((x0, y0), np.array(grey[y0:y1, x0:x1])))
        self._frames.append(patches)

    def newest_first(self) -> list[list[Patch]]:
        """The kept frames, the newest first (the current frame included if kept)."""
        return list(reversed(self._frames))
