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
    regions = [Region(box_of(quad_of(c)), quad_of(c), modules_of(c)) for c in found]
    missed = [r for r, c in zip(regions, found, strict=True) if not c.valid]
    seen = [r for r, c in zip(regions, found, strict=True) if c.valid]
    return texts, missed, seen


def textured(grey: Image, limit: int = 3) -> list[Region]:
    """Square-ish patches of high local contrast, biggest first, at most ``limit``.

    Contrast is the standard deviation over 12x12-pixel windows, computed from a 4x
    smaller frame (block means of the grey levels and of their squares, taken at full
    resolution: a code of 1.5 px a module averages out in any smaller copy), measured
    against the frame's own typical contrast: a blurred or tiny code stays a dense
    patch, the long straight edges of a counter make thin bands, which are dropped."""
    level = grey.astype(np.float32)
    size = (grey.shape[1] // SHRINK, grey.shape[0] // SHRINK)
    mean = cv2.blur(cv2.resize(level, size, interpolation=cv2.INTER_AREA), (3, 3))
    square = cv2.blur(cv2.resize(level * level, size, interpolation=cv2.INTER_AREA), (3, 3))
    spread = np.sqrt(np.maximum(square - mean * mean, 0.0))
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
    return [
        Region((x * SHRINK, y * SHRINK, w * SHRINK, h * SHRINK))
        for _a, (x, y, w, h) in found[:limit]
    ]


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
