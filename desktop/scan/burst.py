"""Reading a card from the camera's stream, not from one frame.

A card held up for a second is thirty frames, each spoiled differently: the glare
moves as the card tilts, blur comes and goes with the hand. ``BurstReader.read`` takes
the frames one by one; it keeps the last few *views* of a located code (bounded
memory) and fuses them when no single frame reads (see ``fusion``). Each view is
snapped onto the QR skeleton (``grid``); a located code is followed into the frames
where no detector finds it, and back into the few frames before (``track``,
``recent``): glare usually hides a finder pattern until it has crossed half the card.

The cost is spent where a code is: zxing-cpp's pass over the whole frame and a cheap
texture search run on every frame; one closer look a frame (crop, enlarge, repair),
the following and the fusion only where something was located. Undoing a motion
smear, the dearest repair, is tried only on a patch that moved since the frame
before (a card carried by a hand smears; a still counter does not: its box may wobble
with the sensor's noise, but what lies under it stays the same). At a patch whose
content lies still, and at the clutter of a scene just come into view, the look is
spread over frames, one repair a frame and no fusion (the next frames show the same
thing), so that an idle till's clutter never costs a frame a whole look. A place
that showed no code and lies still is not looked at again for a while, and a followed
code that lies still is let go: a new frame of an unchanged scene has nothing new to
show.

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
from numpy.typing import NDArray

from common.qr import parse_qr
from desktop.scan import fusion, grid, track
from desktop.scan.crops import Closer, look_closer
from desktop.scan.locate import (
    Change,
    Image,
    Region,
    box_of,
    overlaps,
    read_frame,
    same_place,
    textured,
)
from desktop.scan.recent import Recent

HOLD_STILL = "Hold still"
CLOSER = "Closer"
TILT = "Tilt to avoid glare"
GLARE_SHARE = 0.05  # of the located region's pixels saturated
SMALL_MODULE_PX = 2.5
DULL_FRAMES = 10  # a patch that showed no code is skipped for this many frames
DULL_MAX = 16
MOVED_PX = 3.0  # a patch whose centre moved more since the frame before, by less than
MOVED_SHARE = 0.5  # this share of its side, and kept its size, is carried by a hand
STILL_PX = 0.5  # a followed code whose corners all moved less lies still...
STILL_FRAMES = 3  # ...and after this many frames in a row is no longer followed
STILL_REPAIRS = 1  # a closer look at a patch that did not move: this many repairs a frame
SAME_OVERLAP = 0.6  # of the two boxes' union
Box = tuple[int, int, int, int]


def is_card_payload(text: str) -> bool:
    """Our payload format with a valid check digit (no key: the tag is not checked)."""
    return isinstance(parse_qr(text, None), str)


@dataclass(frozen=True)
class UnderWay:
    """A closer look spread over frames: where it stands, and the next repair to try."""

    box: Box
    next: int


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


def followed_hint(view: fusion.View) -> str:
    """The hint for a code followed into this frame, from its view: glare over it, or
    modules too small to read, or else the blur of a moving hand."""
    if 1.0 - float(np.mean(view.usable)) >= GLARE_SHARE:
        return TILT
    if view.side / view.modules < SMALL_MODULE_PX:
        return CLOSER
    return HOLD_STILL


def moved(region: Region, before: list[Box]) -> bool:
    """Whether a patch of the same size lay a little way off in the frame before: the
    same thing, carried (a single-frame reader, which has no frame before, says so)."""
    x, y, w, h = region.box
    for bx, by, bw, bh in before:
        if abs(bw - w) > MOVED_SHARE * w or abs(bh - h) > MOVED_SHARE * h:
            continue
        shift = np.hypot(bx + bw / 2 - x - w / 2, by + bh / 2 - y - h / 2)
        if MOVED_PX < shift < MOVED_SHARE * max(w, h):
            return True
    return False


def overlap(a: Box, b: Box) -> float:
    """The boxes' intersection over their union."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    common = max(0, w) * max(0, h)
    union = a[2] * a[3] + b[2] * b[3] - common
    return common / union if union > 0 else 0.0


def grey_of(frame: Image) -> Image:
    if frame.ndim == 2:
        return frame
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


class BurstReader:
    """Reads the frames of a stream in order; not shared between threads.

    ``memory`` views (60-100 kB each) and the patches of ``memory - 1`` frames (at
    most 2 x 160 kB a frame) are kept, so a stream of any length holds a bounded amount;
    ``memory=1`` makes it a single-frame reader. ``looks`` closer looks are spent a frame.
    A located code is followed for up to ``follow_frames`` frames where it is not found.
    """

    def __init__(
        self,
        accept: Callable[[str], bool] = is_card_payload,
        memory: int = 30,
        regions: int = 3,
        looks: int = 1,
        follow_frames: int = 8,
    ) -> None:
        self._accept = accept
        self._views: deque[fusion.View] = deque(maxlen=max(1, memory))
        self._recent = Recent(frames=max(1, memory - 1)) if memory > 1 else None
        self._regions = regions
        self._looks = looks
        self._dull: deque[tuple[Box, int]] = deque(maxlen=DULL_MAX)
        self._under_way: deque[UnderWay] = deque(maxlen=DULL_MAX)
        self._follow_frames = follow_frames if memory > 1 else 0
        self._last: fusion.View | None = None
        self._lost = 0  # frames since the last view of the followed code
        self._still = 0  # frames it was followed to the same place
        self._before: list[Box] = []  # the texture search's patches in the frame before
        self._means: NDArray[np.float32] | None = None  # the texture search's block means
        self._change = Change(None)  # and how they changed since the frame before

    def held(self) -> tuple[int, int, int]:
        """What it keeps: views, frames of patches, dull places (each bounded by count)."""
        return len(self._views), len(self._recent or ()), len(self._dull)

    def forget(self) -> None:
        self._views.clear()
        self._dull.clear()
        self._under_way.clear()
        self.forget_views()

    def read(self, frame: Image) -> Reading:
        grey = grey_of(frame)
        texts, missed, seen = read_frame(grey)
        codes = [t for t in texts if self._accept(t)]
        others = [t for t in texts if not self._accept(t)]
        if codes:
            self.forget_views()  # read: what comes next is a new presentation
            return Reading(codes, others)
        spots: list[Spot] = []
        self._dull = deque(((box, left - 1) for box, left in self._dull if left > 1), DULL_MAX)
        texture = textured(grey, self._regions)
        patches = texture.patches
        before, self._before = self._before, [r.box for r in patches]
        self._change = Change.between(texture.means, self._means)
        self._means = texture.means
        looks = [r for r in missed if not self._is_dull(r)]
        looks += [r for r in patches if not overlaps(r.box, missed + seen) and not self._is_dull(r)]
        if self._recent is not None and self._change.whole_scene():
            for region in looks:  # a new scene: its clutter is looked at in steps
                self._begin(region.box)
        for region in looks[: self._looks]:  # the rest wait for the next frames
            still = self._recent is not None and self._lies_still(region.box)
            carried = self._recent is None or (moved(region, before) and not still)
            spread = still or self._is_under_way(region.box)
            found, spot = self._look(grey, region, carried, spread)
            codes += found
            if spot is not None:
                spots.append(spot)
        if not codes and not spots:
            codes, spots = self._follow(grey)
        if codes:
            self.forget_views()
            return Reading(list(dict.fromkeys(codes)), others)
        if self._recent is not None:
            self._recent.keep(grey, missed + patches)
        return Reading([], others, spots)

    def forget_views(self) -> None:
        self._views.clear()
        self._last = None
        if self._recent is not None:
            self._recent.clear()

    def _is_dull(self, region: Region) -> bool:
        """Lying where a look showed no code a few frames ago: a checkerboard or a
        QR look-alike on the counter is looked at once in a while, not 30 times a
        second; a card held up moves, and is looked at again at once."""
        return any(self._same_thing(region.box, box) for box, _left in self._dull)

    def _lies_still(self, box: Box) -> bool:
        return self._change.unchanged(box)

    def _same_thing(self, box: Box, earlier: Box) -> bool:
        """The same place; or, its content unchanged since the frame before, a box that
        mostly overlaps (a still thing's box wobbles with the sensor's noise)."""
        if same_place(box, earlier):
            return True
        return overlap(box, earlier) >= SAME_OVERLAP and self._lies_still(box)

    def _look(
        self, grey: Image, region: Region, carried: bool, spread: bool
    ) -> tuple[list[str], Spot | None]:
        """A closer look at a region: the repairs, then the located symbol's view into
        the fusion. ``spread`` (a patch whose content lies still, or part of a scene that
        just came into view): one repair a frame, and no fusion, since the next frames
        show the same thing again; such a patch is mostly the counter's clutter, and no
        frame of an idle till pays for a whole look at it. A patch being handled gets the
        whole look at once."""
        if not spread:
            closer = look_closer(grey, region, unsmear=carried)
        else:
            closer = look_closer(grey, region, False, self._resume(region), STILL_REPAIRS)
            if not closer.texts and not closer.done:
                self._under_way.append(UnderWay(region.box, closer.next))  # the next frame's
                return [], None
        found = [t for t in closer.texts if self._accept(t)]
        if found:
            return found, None
        self._dull.append((region.box, DULL_FRAMES))  # if it lies still, follow it
        if closer.texts:
            return [], None  # another merchant's card: read, and not ours
        quad = closer.quad
        if not spread and quad is not None and track.plausible(quad, closer.modules):
            view = grid.snap(grey, fusion.view_of(grey, quad, closer.modules))
            if view is not None:
                return self._fuse(view, hint(closer))
        if closer.saturated < GLARE_SHARE:  # nothing hides a code's skeleton: none here
            return [], None
        x, y, w, h = region.box  # glare may hide a code here: say so
        corners = quad if quad is not None else ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
        return [], Spot(tuple((float(a), float(b)) for a, b in corners), TILT)

    def _begin(self, box: Box) -> None:
        if not self._is_under_way(box):
            self._under_way.append(UnderWay(box, 0))

    def _is_under_way(self, box: Box) -> bool:
        return any(overlap(box, step.box) >= SAME_OVERLAP for step in self._under_way)

    def _resume(self, region: Region) -> int:
        """The repair where the look at this place stopped in an earlier frame (0: none)."""
        for step in self._under_way:
            if overlap(region.box, step.box) >= SAME_OVERLAP:  # moved or not: the same thing
                self._under_way.remove(step)
                return step.next
        return 0

    def _follow(self, grey: Image) -> tuple[list[str], list[Spot]]:
        """The code located in a recent frame, found again by alignment."""
        last, self._lost = self._last, self._lost + 1
        if last is None or self._lost > self._follow_frames:
            return [], []
        view = track.follow(grey, last)
        if view is None:
            return [], []
        moved = float(np.abs(view.quad - last.quad).max())
        self._still = self._still + 1 if moved < STILL_PX else 0
        if self._still >= STILL_FRAMES:  # lying on the counter: nothing new to see
            self._dull.append((box_of(view.quad), DULL_FRAMES))
            self._last = None
            return [], []
        found, spot = self._fuse(view, followed_hint(view))
        return found, [spot] if spot is not None else []

    def _fuse(self, view: fusion.View, advice: str) -> tuple[list[str], Spot | None]:
        if self._last is None:  # newly located: look back for it in the last frames
            self._still = 0
            if self._recent is not None:
                self._views.extend(reversed(track.back(view, self._recent.newest_first())))
        self._views.append(view)
        self._last, self._lost = view, 0
        group = fusion.same_card(list(self._views), view)
        texts = fusion.read_fused(group)
        found = [t for t in texts if self._accept(t)]
        if found or texts:  # ours; or another merchant's card, not followed further
            self.forget_views()
            return found, None
        corners = tuple((float(x), float(y)) for x, y in view.quad)
        return [], Spot(corners, advice)
