"""Where a code may be in a frame, found cheaply; the expensive passes go only there.

Two sources: zxing-cpp's own pass over the whole frame, which reads the easy codes
and, asked to return its failures, also gives the exact corners of codes it detected
but could not decode; and a texture search on a 4x smaller edge map, which finds the
dense square patch of modules that zxing's finder-pattern search missed (blurred,
glared or tiny codes). Both together cost about what zxing alone costs.
"""

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp
from numpy.typing import NDArray

Image = NDArray[np.uint8]
Quad = NDArray[np.float32]  # 4x2, the symbol's corners in its own order (TL, TR, BR, BL)

MODEL_2 = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2)
SHRINK = 4  # the texture search looks at blocks of 4x4 pixels
SMALLEST_PX = 8  # a failed symbol zxing reports smaller than this has no position
STILL_NOISE = 6.0  # a patch changed by less, against the frame's typical change, lies still
SCENE_CHANGE_LEVELS = 10.0
SCENE_CHANGE_SHARE = 0.5


@dataclass(frozen=True)
class Region:
    """A place worth a closer look: a box (x, y, w, h) in frame pixels, and the exact
    corners and side in modules when a detector saw the symbol itself."""

    box: tuple[int, int, int, int]
    quad: Quad | None = None
    modules: int = 0  # the symbol's side in modules (no quiet zone); 0 when unknown


def quad_of(code: zxingcpp.Barcode) -> Quad:
    p = code.position
    corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
    return np.array([[c.x, c.y] for c in corners], dtype=np.float32)


def modules_of(code: zxingcpp.Barcode) -> int:
    version = str(code.extra.get("Version", "")) if isinstance(code.extra, dict) else ""
    return 17 + 4 * int(version) if version.isdigit() else 0


def box_of(quad: Quad) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(quad.astype(np.float32))
    return int(x), int(y), int(w), int(h)


def read_frame(grey: Image) -> tuple[list[str], list[Region], list[Region]]:
    """zxing-cpp over the whole frame: the texts it read, the codes it detected but
    could not decode, and where the read ones are. Inverted codes are left to the
    closer look (a light-on-dark pass over every empty frame would double its cost)."""
    found = zxingcpp.read_barcodes(
        grey, formats=MODEL_2, try_rotate=False, try_invert=False, return_errors=True
    )
    texts = [code.text for code in found if code.valid and code.text]
    found = [c for c in found if c.valid or min(box_of(quad_of(c))[2:]) >= SMALLEST_PX]
    regions = [Region(box_of(quad_of(c)), quad_of(c), modules_of(c)) for c in found]
    missed = [r for r, c in zip(regions, found, strict=True) if not c.valid]
    seen = [r for r, c in zip(regions, found, strict=True) if c.valid]
    return texts, missed, seen


@dataclass(frozen=True)
class Texture:
    """What the texture search saw: its patches, and the frame's 4x4-pixel block means
    (kept to tell, in the next frame, whether a patch's content moved)."""

    patches: list[Region]
    means: NDArray[np.float32]


def textured(grey: Image, limit: int = 3) -> Texture:
    """Square-ish patches of high local contrast, biggest first, at most ``limit``.

    Contrast is the standard deviation over 12x12-pixel windows, computed from a 4x
    smaller frame (block means of the grey levels and of their squares), measured
    against the frame's own typical contrast: a blurred or tiny code stays a dense
    patch, the long straight edges of a counter make thin bands, which are dropped.
    Every pixel counts (a code of 1.5 px a module averages out in any smaller copy;
    sampling every other row lost glared codes on two seeds of the hard set), summed
    through an integral image and a 16-bit lookup table: 1.0 against 2.7 ms at 720p
    in floating point."""
    means, spread = _spread(grey)
    bar = max(14.0, 3.0 * float(np.median(spread[::2, ::2])))
    mask = cv2.threshold(spread, bar, 255, cv2.THRESH_BINARY)[1].astype(np.uint8)
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))  # cut bridges
    mask = np.asarray(opened, np.uint8)
    count, _labels, stats, _centres = cv2.connectedComponentsWithStats(mask, connectivity=8)
    found = []
    for x, y, w, h, area in stats[1:count]:
        side = max(w, h)
        if side < 8 or side > 0.9 * min(mask.shape) or min(w, h) < 0.5 * side:
            continue
        if area < 0.45 * w * h:
            continue
        found.append((int(area), (int(x), int(y), int(w), int(h))))
    found.sort(reverse=True)
    patches = [
        Region((x * SHRINK, y * SHRINK, w * SHRINK, h * SHRINK))
        for _a, (x, y, w, h) in found[:limit]
    ]
    return Texture(patches, means)


LEVEL_SQUARED = (np.arange(256, dtype=np.uint32) ** 2).astype(np.uint16)


def _spread(grey: Image) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The 4x4 block means, and the standard deviation over 3x3 blocks (12x12 px).

    The means are exact block sums read off the frame's integral image (0.17 ms at
    720p, against 0.58 for a 16-bit lookup table and an area resize, same numbers);
    the squares keep the table and the resize: OpenCV integrates 16-bit values only
    into 64-bit floats, which costs 1.5 ms."""
    rows, cols = grey.shape[0] // SHRINK * SHRINK, grey.shape[1] // SHRINK * SHRINK
    corners = cv2.integral(grey)[: rows + 1 : SHRINK, : cols + 1 : SHRINK]
    sums = corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] + corners[:-1, :-1]
    means = sums.astype(np.float32) * (1 / (SHRINK * SHRINK))
    size = (cols // SHRINK, rows // SHRINK)
    squares = cv2.resize(cv2.LUT(grey, LEVEL_SQUARED), size, interpolation=cv2.INTER_AREA)
    mean = cv2.blur(means, (3, 3))
    square = cv2.blur(squares.astype(np.float32), (3, 3))
    return means, np.asarray(np.sqrt(np.maximum(square - mean * mean, 0.0)), np.float32)


@dataclass(frozen=True)
class Change:
    """How the frame's 4x4-pixel block means changed since the frame before, with the
    overall brightness (auto exposure) evened out: per block, the squared difference;
    and the frame's typical one, which on a counter where nothing moves is the sensor's
    noise."""

    squared: NDArray[np.float32] | None  # None: no frame before to compare with
    floor: float = 0.0
    middle: float = 128.0  # the frame's median grey level

    @classmethod
    def between(cls, means: NDArray[np.float32], before: NDArray[np.float32] | None) -> "Change":
        if before is None or before.shape != means.shape:
            return cls(None)
        middle = max(float(np.median(means[::4, ::4])), 1.0)
        gain = middle / max(float(np.median(before[::4, ::4])), 1.0)
        squared = np.square(means - before * gain)
        return cls(squared, float(np.median(squared[::4, ::4])), middle)

    def unchanged(self, box: tuple[int, int, int, int]) -> bool:
        """Whether what lies under ``box`` changed no more than the sensor's noise does
        (``STILL_NOISE`` times the frame's typical change): the patch's content lies
        still, whatever its box did. The texture search's box of a thing on the counter
        wobbles by a block or three with the noise; a card carried by a hand, or glare
        moving over it, changes what lies under its box."""
        if self.squared is None:
            return False
        x, y, w, h = (v // SHRINK for v in box)
        patch = self.squared[y : y + h, x : x + w]
        return patch.size >= 4 and float(patch.mean()) <= STILL_NOISE * max(self.floor, 1.0)

    def whole_scene(self, levels: float = SCENE_CHANGE_LEVELS) -> bool:
        """Whether most of the frame changed (the camera turned, the lights went on, the
        till just started), as against a card moving in one part of it: half the blocks
        differ by more than ``levels`` grey levels in a mid-grey scene (a dimmer one's
        differences are smaller in proportion). The first frame is not a change: a card
        may already be held up when the camera starts."""
        if self.squared is None:
            return False
        bar = max(levels * self.middle / 128, 3.0)
        return float(np.mean(self.squared[::2, ::2] > bar * bar)) >= SCENE_CHANGE_SHARE


def same_place(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Two boxes whose edges are all within one texture block of each other: the same
    thing lying still, not a card carried by a hand."""
    return all(abs(p - q) <= SHRINK for p, q in zip(a, b, strict=True))


def overlaps(box: tuple[int, int, int, int], others: list[Region]) -> bool:
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    return any(
        o.box[0] <= cx <= o.box[0] + o.box[2] and o.box[1] <= cy <= o.box[1] + o.box[3]
        for o in others
    )
