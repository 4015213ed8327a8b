"""Following a located code into frames where no detector finds its corners.

Glare that hides a finder pattern hides the code from zxing's detector, so most
glared frames give no corners, although most of their modules are clear. The card
moves little from one frame to the next: its last corners, refined by aligning the
last view with the new frame (ECC, a homography, the saturated pixels of both left
out), give the corners in the new frame and so one more view to fuse.

An alignment that does not converge or correlates poorly gives nothing: a view must
look like the card it extends. The fused image is still only reported if zxing's
Reed-Solomon check and the payload's check accept it.
"""

from dataclasses import replace

import cv2
import numpy as np
from numpy.typing import NDArray

from desktop.scan.fusion import MARGIN, K, View, view_of
from desktop.scan.grid import ecc, snap
from desktop.scan.locate import Image, Quad
from desktop.scan.recent import Patch

MIN_CORRELATION = 0.55  # ECC's correlation of the new view with the last one
SHRINK = 2  # aligned at half the canonical scale (3 px a module): cheaper, as exact
Warp = NDArray[np.float64]


def plausible(quad: Quad, modules: int) -> bool:
    """Corners that can be a code's: convex, sides within 2:1 of each other, at least
    one pixel a module (a detector's failure sometimes spans half the frame)."""
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    if modules <= 0 or sides.min() < modules or sides.max() > 2 * sides.min():
        return False
    edges = np.roll(quad, -1, axis=0) - quad
    following = np.roll(edges, -1, axis=0)
    turns = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    return bool(np.all(turns > 0) or np.all(turns < 0))


def _canonical_to_frame(quad: Quad, modules: int) -> NDArray[np.float64]:
    a, b = MARGIN * K, (MARGIN + modules) * K
    square = np.array([[a, a], [b, a], [b, b], [a, b]], np.float32)
    return np.asarray(cv2.getPerspectiveTransform(square, quad.astype(np.float32)), np.float64)


def _levelled(view_image: Image, usable: NDArray[np.bool_]) -> NDArray[np.float32]:
    """Half scale, saturated pixels replaced by the usable pixels' mean."""
    level = view_image.astype(np.float32)
    fill = float(level[usable].mean()) if usable.any() else 128.0
    level = np.where(usable, level, fill).astype(np.float32)
    size = (level.shape[1] // SHRINK, level.shape[0] // SHRINK)
    return np.asarray(cv2.resize(level, size, interpolation=cv2.INTER_AREA), np.float32)


def _align(last: View, guess: View) -> Warp | None:
    """The warp (canonical pixels, 3x3) taking ``last`` onto ``guess``, or None."""
    ref = _levelled(last.image, last.usable)
    cur = _levelled(guess.image, guess.usable)
    both = (last.usable & guess.usable).astype(np.uint8)
    mask = np.asarray(
        cv2.resize(both, (ref.shape[1], ref.shape[0]), interpolation=cv2.INTER_NEAREST), np.uint8
    )
    if mask.mean() < 0.3:
        return None
    window = cv2.createHanningWindow((ref.shape[1], ref.shape[0]), cv2.CV_32F)
    (dx, dy), _response = cv2.phaseCorrelate(ref, cur, window)
    found = ecc(ref, cur, mask, (dx, dy))
    if found is None or found[0] < MIN_CORRELATION:
        return None
    scale = np.diag([SHRINK, SHRINK, 1.0])
    return np.asarray(scale @ found[1] @ np.linalg.inv(scale), np.float64)


def follow(grey: Image, last: View, origin: tuple[int, int] = (0, 0)) -> View | None:
    """The view of ``last``'s code in this frame, or None if it cannot be found.

    ``grey`` may be a patch of the frame whose top-left corner was at ``origin``; the
    view's corners are in frame pixels either way."""
    shift = np.array(origin, np.float32)
    local = last.quad - shift
    guess = view_of(grey, local, last.modules, 0.0)
    warp = _align(last, guess)
    if warp is None:
        return None
    to_frame = _canonical_to_frame(local, last.modules)
    a, b = MARGIN * K, (MARGIN + last.modules) * K
    corners = np.array([[a, a, 1], [b, a, 1], [b, b, 1], [a, b, 1]], np.float64)
    moved = corners @ (to_frame @ warp.astype(np.float64)).T
    quad = np.asarray(moved[:, :2] / moved[:, 2:3], np.float32)
    if not plausible(quad, last.modules):
        return None
    return snap(grey, replace(view_of(grey, quad, last.modules), quad=quad + shift), origin)


def back(last: View, patches: list[list[Patch]]) -> list[View]:
    """``last``'s code followed back through earlier frames (newest first), as far
    as it can be found; each frame's patch that holds the code's centre is used."""
    views = []
    for frame in patches:
        patch = next((p for p in frame if _holds(p, last.centre)), None)
        view = follow(patch.image, last, patch.origin) if patch is not None else None
        if view is None:
            break
        views.append(view)
        last = view
    return views


def _holds(patch: Patch, point: tuple[float, float]) -> bool:
    x, y = point[0] - patch.origin[0], point[1] - patch.origin[1]
    return bool(0 <= x < patch.image.shape[1] and 0 <= y < patch.image.shape[0])
