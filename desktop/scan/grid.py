"""Snapping a view onto the code's own grid, by the parts every QR code shares.

Corners from a detector under glare, or carried from one frame to the next, are off
by a fraction of a module, and a vote of modules sampled off-centre is a vote of
noise. Every QR code of a given size has the same finder patterns, separators, timing
lines, alignment pattern and quiet zone, whatever it encodes: aligning the view with
an image of just those parts (ECC, a homography, masked to them and to what the
sensor did not clip) puts each module where the vote samples it.

How well they correlate also says whether the view is a code at all: a view that
does not look like a QR code's skeleton is dropped before it can spoil the vote.
"""

from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from desktop.scan.fusion import MARGIN, K, View, module_grid, view_of
from desktop.scan.locate import Image

MIN_CORRELATION = 0.6
MIN_TIMING = 0.8  # share of the readable timing modules that alternate as they must
TIMING_SEEN = 6  # fewer readable than this (glare over both lines): not judged
UNSURE = 0.15  # of the view's contrast: a module nearer its surroundings is not judged
CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 1e-3)
SHRINK = 2  # aligned at 3 px a module
Mask = NDArray[np.uint8]


def _finder(dark: NDArray[np.bool_], known: NDArray[np.bool_], row: int, col: int) -> None:
    """A finder pattern with its separator; ``row, col`` its top-left module."""
    for r in range(-1, 8):
        for c in range(-1, 8):
            y, x = row + r, col + c
            if 0 <= y < dark.shape[0] and 0 <= x < dark.shape[1]:
                ring = max(abs(r - 3), abs(c - 3))
                dark[y, x] = ring in (0, 1, 3)
                known[y, x] = True


@lru_cache(maxsize=8)
def skeleton(modules: int) -> tuple[NDArray[np.float32], Mask]:
    """What every code of this size shows (dark 0, light 255), at half the canonical
    scale with the view's quiet-zone margin, and where that is known (mask)."""
    side = modules + 2 * MARGIN
    dark = np.zeros((side, side), bool)
    known = np.zeros((side, side), bool)
    known[:MARGIN], known[-MARGIN:], known[:, :MARGIN], known[:, -MARGIN:] = (True,) * 4
    m = MARGIN
    for row, col in ((0, 0), (0, modules - 7), (modules - 7, 0)):
        _finder(dark, known, m + row, m + col)
    for i in range(8, modules - 8):
        dark[m + 6, m + i] = dark[m + i, m + 6] = i % 2 == 0
        known[m + 6, m + i] = known[m + i, m + 6] = True
    version = (modules - 17) // 4
    if 2 <= version <= 6:  # one alignment pattern, centred 7 modules in from the corner
        centre = m + modules - 7
        for r in range(-2, 3):
            for c in range(-2, 3):
                dark[centre + r, centre + c] = max(abs(r), abs(c)) != 1
                known[centre + r, centre + c] = True
    scale = np.ones((K // SHRINK, K // SHRINK), np.uint8)
    image = np.kron(np.where(dark, 0, 255).astype(np.uint8), scale).astype(np.float32)
    mask = np.kron(known.astype(np.uint8), scale)
    return image, mask


def ecc(
    template: NDArray[np.float32],
    image: NDArray[np.float32],
    mask: Mask,
    shift: tuple[float, float] = (0.0, 0.0),
) -> tuple[float, NDArray[np.float64]] | None:
    """ECC's correlation and the 3x3 warp taking ``template`` onto ``image`` (from
    ``shift``), or None if it did not converge. Affine: the corners already carry the
    perspective, what is left over a code's width is affine (and it costs half)."""
    warp = np.array([[1, 0, shift[0]], [0, 1, shift[1]]], np.float32)
    try:
        score, found = cv2.findTransformECC(
            template, image, warp, cv2.MOTION_AFFINE, CRITERIA, mask, 3
        )
    except cv2.error:  # did not converge: moved too far, or not the same thing
        return None
    return float(score), np.vstack([np.asarray(found, np.float64), [0.0, 0.0, 1.0]])


def snap(grey: Image, view: View, origin: tuple[int, int] = (0, 0)) -> View | None:
    """The view re-cut from ``grey`` (a patch at ``origin``, or the frame) with its
    corners moved onto the code's grid; None if it does not look like a code."""
    template, known = skeleton(view.modules)
    size = (template.shape[1], template.shape[0])
    level = cv2.resize(view.image, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    usable = np.asarray(
        cv2.resize(view.usable.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST), np.uint8
    )
    mask = known & usable
    if mask.sum() < 0.5 * known.sum():
        return None
    found = ecc(template, level, mask)
    if found is None or found[0] < MIN_CORRELATION:
        return None
    warp = found[1]
    scale = np.diag([SHRINK, SHRINK, 1.0])
    warp_full = scale @ warp.astype(np.float64) @ np.linalg.inv(scale)
    a, b = MARGIN * K, (MARGIN + view.modules) * K
    square = np.array([[a, a], [b, a], [b, b], [a, b]], np.float32)
    shift = np.array(origin, np.float32)
    to_frame = cv2.getPerspectiveTransform(square, (view.quad - shift).astype(np.float32))
    corners = np.c_[square, np.ones(4)].astype(np.float64)
    moved = corners @ (to_frame @ warp_full).T
    quad = np.asarray(moved[:, :2] / moved[:, 2:3], np.float32)
    snapped = view_of(grey, quad, view.modules)
    if not keeps_time(snapped):
        return None
    centre = (snapped.centre[0] + origin[0], snapped.centre[1] + origin[1])
    return View(
        snapped.image,
        snapped.usable,
        snapped.modules,
        snapped.weight,
        centre,
        snapped.side,
        quad + shift,
    )


def keeps_time(view: View) -> bool:
    """Whether the timing lines alternate dark and light, as in every QR code: a
    look-alike with finder patterns over random modules fails here, a real code does
    not. Modules under glare, or washed out beside it (too close to their
    neighbourhood's level to call), are not judged."""
    levels, ok = module_grid(view)
    if not ok.any():
        return True
    n = view.modules
    local = cv2.blur(levels, (5, 5), borderType=cv2.BORDER_REFLECT)
    low, high = np.percentile(levels[ok > 0], (5, 95))
    sure = (ok > 0) & (np.abs(levels - local) > UNSURE * float(high - low))
    span = np.arange(8, n - 8)
    dark = np.concatenate([levels[6, span] < local[6, span], levels[span, 6] < local[span, 6]])
    seen = np.concatenate([sure[6, span], sure[span, 6]])
    expected = np.concatenate([span % 2 == 0, span % 2 == 0])
    if seen.sum() < TIMING_SEEN:
        return True
    return float(np.mean(dark[seen] == expected[seen])) >= MIN_TIMING
