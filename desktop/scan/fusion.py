"""Reading one code from several frames that each saw part of it.

Every frame where the symbol's corners were found gives a *view*: the code warped
(homography) onto a canonical grid of 6 px a module, with the patches the sensor
clipped marked unusable (``grid`` snaps the corners onto the code's own grid first).
Views of one card are fused two ways, and each fused image goes to zxing-cpp, whose
Reed-Solomon check still decides:

- per-module voting: in each view, every module is judged dark or light against its
  neighbourhood; the views vote, weighted by how sharp they are, leaving out modules
  under glare; the winning modules are redrawn as a clean code;
- per-pixel median of the views (unusable pixels left out), sharpened.

Glare that moves across the card, blur that comes and goes, noise: each hides a
different part in each frame, so the fusion sees what no single frame shows.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp
from numpy.typing import NDArray

from desktop.scan.crops import SATURATED, sharpness, unsharp
from desktop.scan.locate import MODEL_2, Image, Quad

K = 6  # canonical pixels a module
MARGIN = 2  # modules of quiet zone kept around the symbol


@dataclass(frozen=True)
class View:
    image: Image  # canonical, (modules + 2 * MARGIN) * K pixels square
    usable: NDArray[np.bool_]  # same shape: False where the sensor was saturated
    modules: int
    weight: float  # sharper views count more
    centre: tuple[float, float]  # where the code was in the frame, to group views
    side: float
    quad: Quad  # the symbol's corners in the frame, to follow it into the next


def unclipped(image: Image) -> NDArray[np.bool_]:
    """Where the sensor saw the card: not inside a clipped area wider than a module
    and a half. A light module of a well-lit card may clip too, but it is still light;
    only a clipped patch can hide dark modules."""
    clipped = (image >= SATURATED).astype(np.uint8)
    glare = cv2.morphologyEx(clipped, cv2.MORPH_OPEN, np.ones((K * 3 // 2, K * 3 // 2), np.uint8))
    return np.asarray(cv2.dilate(glare, np.ones((3, 3), np.uint8)) == 0)


def view_of(grey: Image, quad: Quad, modules: int, weight: float | None = None) -> View:
    """The code between ``quad``'s corners on the canonical grid; its weight, unless
    given, is its sharpness there, scaled by the share of it the sensor did not clip."""
    size = (modules + 2 * MARGIN) * K
    a, b = MARGIN * K, (MARGIN + modules) * K
    target = np.array([[a, a], [b, a], [b, b], [a, b]], np.float32)
    h = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    image = np.asarray(  # outside the frame counts as saturated: unusable
        cv2.warpPerspective(grey, h, (size, size), flags=cv2.INTER_LINEAR, borderValue=255),
        np.uint8,
    )
    usable = unclipped(image)
    if weight is None:
        weight = sharpness(image) * float(np.mean(usable))
    centre = quad.mean(axis=0)
    side = float(np.linalg.norm(quad[1] - quad[0]))
    return View(
        np.asarray(image, np.uint8),
        usable,
        modules,
        weight,
        (float(centre[0]), float(centre[1])),
        side,
        quad.astype(np.float32),
    )


def same_card(views: list[View], latest: View) -> list[View]:
    """The views of the card the latest view shows (same size, about the same place)."""
    return [
        v
        for v in views
        if v.modules == latest.modules
        and np.hypot(v.centre[0] - latest.centre[0], v.centre[1] - latest.centre[1]) < latest.side
    ]


def module_grid(view: View) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Each module's grey level (its centre's mean) and how usable it is (0..1)."""
    n = view.modules
    inner = view.image[MARGIN * K : (MARGIN + n) * K, MARGIN * K : (MARGIN + n) * K]
    usable = view.usable[MARGIN * K : (MARGIN + n) * K, MARGIN * K : (MARGIN + n) * K]
    core = slice(K // 4, K - K // 4)
    levels = inner.reshape(n, K, n, K)[:, core, :, core].astype(np.float32).mean(axis=(1, 3))
    ok = usable.reshape(n, K, n, K)[:, core, :, core].astype(np.float32).mean(axis=(1, 3))
    return levels, (ok > 0.99).astype(np.float32)


def _local(values: NDArray[np.float32], weight: NDArray[np.float32]) -> NDArray[np.float32]:
    """A weighted 7x7-module mean (normalised convolution): unusable modules left out."""
    top = cv2.boxFilter(values * weight, -1, (7, 7), normalize=False, borderType=cv2.BORDER_REFLECT)
    bottom = cv2.boxFilter(weight, -1, (7, 7), normalize=False, borderType=cv2.BORDER_REFLECT)
    return np.asarray(top / np.maximum(bottom, 1e-3), np.float32)


def vote(views: list[View]) -> Image:
    """The modules as the views vote them, redrawn as a clean code with quiet zone."""
    n = views[0].modules
    total = np.zeros((n, n), np.float32)
    for view in views:
        levels, ok = module_grid(view)
        mean = _local(levels, ok)
        spread = np.sqrt(_local((levels - mean) ** 2, ok)) + 4.0
        total += view.weight * ok * np.clip((mean - levels) / spread, -2, 2)
    dark = total > 0
    drawn = np.where(dark, 0, 255).astype(np.uint8)
    drawn = np.pad(drawn, 4, constant_values=255)
    return np.asarray(np.kron(drawn, np.ones((4, 4), np.uint8)), np.uint8)


def median(views: list[View]) -> Image:
    """The per-pixel median of the usable pixels, each view's levels stretched first."""
    stack = np.full((len(views), *views[0].image.shape), np.nan, np.float32)
    for i, view in enumerate(views):
        values = view.image[view.usable]
        if values.size < 16:
            continue
        low, high = np.percentile(values, (5, 95))
        stretched = (view.image.astype(np.float32) - low) * (255.0 / max(high - low, 1.0))
        stack[i] = np.where(view.usable, stretched, np.nan)
    with warnings.catch_warnings():  # a pixel no view could use is left light
        warnings.simplefilter("ignore", RuntimeWarning)
        fused = np.nan_to_num(np.nanmedian(stack, axis=0), nan=255.0)
    return np.asarray(np.clip(fused, 0, 255), np.uint8)


def read_fused(views: list[View]) -> list[str]:
    """Texts read from the vote, else from the median, else from the sharpest view."""
    sharpest = max(views, key=lambda v: v.weight)
    candidates: list[Callable[[], Image]] = [
        lambda: vote(views),
        lambda: unsharp(median(views), K * 0.4),
        lambda: unsharp(sharpest.image, K * 0.4),
    ]
    for make in candidates:
        image = np.pad(make(), 4 * K, constant_values=255)
        found = zxingcpp.read_barcodes(
            image, formats=MODEL_2, try_rotate=False, try_downscale=False
        )
        texts = [code.text for code in found if code.valid and code.text]
        if texts:
            return texts
    return []
