"""Reading a card from the camera's stream, not from one frame.

A card held up for a second is thirty frames, each spoiled differently: the glare
moves as the card tilts, blur comes and goes with the hand. ``BurstReader.read`` takes
the frames one by one; it keeps the last few *views* of a located code (bounded
memory) and fuses them when no single frame reads (see ``fusion``).

The cost is spent where a code is: zxing-cpp's pass over the whole frame and a cheap
texture search on a 4x smaller copy run on every frame; the closer looks (crop,
enlarge, repair) and the fusion only where one of them located something.

A payload found by anything but zxing's plain pass over the frame is reported only if
``accept`` says it is one of ours (by default, our card format with its check digit;
the till passes a check of the HMAC tag): a repaired or fused image is never trusted on
the decoder's word alone. What the plain pass reads is returned as it was before (a
card of another merchant is reported, so the till can say whose it is not).
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from common.qr import parse_qr
from desktop.scan import fusion
from desktop.scan.crops import Closer, look_closer
from desktop.scan.locate import Image, Region, overlaps, read_frame, same_place, textured

HOLD_STILL = "Hold still"
CLOSER = "Closer"
TILT = "Tilt to avoid glare"
GLARE_SHARE = 0.05  # of the located region's pixels saturated
SMALL_MODULE_PX = 2.5
DULL_FRAMES = 10  # a patch that showed no code is skipped for this many frames
DULL_MAX = 16
Box = tuple[int, int, int, int]


def is_card_payload(text: str) -> bool:
    """Our payload format with a valid check digit (no key: the tag is not checked)."""
    return isinstance(parse_qr(text, None), str)


@dataclass(frozen=True)
class Spot:
    """A code located but not read: its corners in frame pixels and one short hint."""

    corners: tuple[tuple[float, float], ...]
    hint: str


@dataclass(frozen=True)
class Reading:
    """One frame's outcome: payloads read (accepted), other codes the plain pass read,
    and codes located but not read."""

    codes: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    spots: list[Spot] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return self.codes + self.others


def hint(closer: Closer) -> str:
    """What the cashier's customer can change, from what was measured."""
    if closer.saturated >= GLARE_SHARE:
        return TILT
    if closer.module_px < SMALL_MODULE_PX:
        return CLOSER
    return HOLD_STILL


def grey_of(frame: Image) -> Image:
    if frame.ndim == 2:
        return frame
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


class BurstReader:
    """Reads the frames of a stream in order; not shared between threads.

    ``memory`` views are kept (about 100 kB each), so a stream of any length holds a
    bounded amount; ``memory=1`` makes it a single-frame reader.
    """

    def __init__(
        self,
        accept: Callable[[str], bool] = is_card_payload,
        memory: int = 12,
        regions: int = 3,
        texture_looks: int = 2,
    ) -> None:
        self._accept = accept
        self._views: deque[fusion.View] = deque(maxlen=max(1, memory))
        self._regions = regions
        self._texture_looks = texture_looks
        self._dull: deque[tuple[Box, int]] = deque(maxlen=DULL_MAX)

    def forget(self) -> None:
        self._views.clear()
        self._dull.clear()

    def read(self, frame: Image) -> Reading:
        grey = grey_of(frame)
        texts, missed, seen = read_frame(grey)
        codes = [t for t in texts if self._accept(t)]
        others = [t for t in texts if not self._accept(t)]
        if codes:
            self._views.clear()  # read: what comes next is a new presentation
            return Reading(codes, others)
        spots: list[Spot] = []
        for region in missed[: self._regions] + self._textured(grey, missed + seen):
            found, spot = self._look(grey, region)
            codes += found
            if spot is not None:
                spots.append(spot)
        if codes:
            self._views.clear()
            return Reading(list(dict.fromkeys(codes)), others)
        return Reading([], others, spots)

    def _textured(self, grey: Image, known: list[Region]) -> list[Region]:
        """Patches no detector saw, minus those that showed no code in a recent frame
        (a checkerboard on the counter is looked at once in a while, not 30 times a
        second)."""
        self._dull = deque(((box, left - 1) for box, left in self._dull if left > 1), DULL_MAX)
        return [
            r
            for r in textured(grey, self._regions)
            if not overlaps(r.box, known)
            and not any(same_place(r.box, box) for box, _left in self._dull)
        ][: self._texture_looks]

    def _look(self, grey: Image, region: Region) -> tuple[list[str], Spot | None]:
        closer = look_closer(grey, region)
        if closer.quad is None and region.quad is None:
            self._dull.append((region.box, DULL_FRAMES))
        found = [t for t in closer.texts if self._accept(t)]
        if found or closer.quad is None or not closer.modules:
            return found, None
        view = fusion.view_of(grey, closer.quad, closer.modules, closer.sharpness)
        self._views.append(view)
        group = fusion.same_card(list(self._views), view)
        found = [t for t in fusion.read_fused(group) if self._accept(t)]
        if found:
            return found, None
        corners = tuple((float(x), float(y)) for x, y in closer.quad)
        return [], Spot(corners, hint(closer))
