"""The closer look at one located region: cut it out, enlarge a small code, and try the
few repairs that help a real webcam's frame, only there.

Each repair answers one kind of damage measured on the hard set: enlarging (codes of
1.5-3 px a module fall below zxing's sampling), an unsharp mask (motion and focus
blur soften module edges), a low-pass before sharpening (a phone screen's pixel grid
aliases into moiré that breaks the binarizer), and, last, undoing a motion smear longer
than a module along the direction the crop itself shows (``deblur``), which no
sharpening restores. A crop costs a fraction of a full frame.
"""

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from desktop.scan import deblur
from desktop.scan.locate import MODEL_2, Image, Quad, Region, modules_of, quad_of

TARGET_MODULE_PX = 5.0
GUESSED_MODULES = 37  # a loyalty payload is QR version 3 at most, quiet zone included
SATURATED = 240  # a grey level the sensor clipped (JPEG and colour balance lower 255)
REPAIRS = 5  # the crop, enlarged, sharpened, smoothed and sharpened, unsmeared


@dataclass(frozen=True)
class Closer:
    """What the closer look found: texts read, the symbol's corners (frame pixels) and
    side in modules if a detector saw it, and what was measured for the hint."""

    texts: list[str]
    quad: Quad | None
    modules: int
    module_px: float
    saturated: float  # share of the region under glare (clipped, two modules wide or more)
    next: int = REPAIRS  # the repair a later look at this place starts from

    @property
    def done(self) -> bool:
        """Every repair was tried (or one read)."""
        return self.next >= REPAIRS


def module_px(region: Region) -> float:
    if region.quad is not None and region.modules:
        side = float(np.linalg.norm(region.quad[1] - region.quad[0]))
        return side / region.modules
    return max(region.box[2], region.box[3]) / GUESSED_MODULES


def sharpness(crop: Image) -> float:
    edges = cv2.morphologyEx(crop, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    low, high = np.percentile(crop[::2, ::2], (5, 95))  # every 4th pixel: as good, 4x cheaper
    return float(np.mean(edges)) / max(float(high - low), 1.0)


def glare_share(crop: Image, module: float) -> float:
    """The share of the crop the sensor clipped in patches two modules wide or more: a
    lamp's reflection, not the white of a well-lit card between dark modules."""
    side = max(3, round(2 * module))
    clipped = (crop >= SATURATED).astype(np.uint8)
    glare = cv2.morphologyEx(clipped, cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    return float(np.mean(glare))


def unsharp(image: Image, sigma: float, amount: float = 1.5) -> Image:
    soft = cv2.GaussianBlur(image, (0, 0), sigma)
    return np.asarray(cv2.addWeighted(image, 1 + amount, soft, -amount, 0), dtype=np.uint8)


Repair = Callable[[], Image | None]  # a repaired copy of the crop, None: not applicable


def _repairs(crop: Image, up: Image, module: float, scale: float, unsmear: bool) -> list[Repair]:
    """The crop as it is (inverted codes are first tried here), enlarged, then
    sharpened, then smoothed at module scale and sharpened, then unsmeared if it is
    smeared along one direction; each made only when its turn comes."""

    def smoothed_sharp() -> Image:
        smooth = np.asarray(cv2.GaussianBlur(up, (0, 0), max(0.8, module * 0.3)), np.uint8)
        return unsharp(smooth, module * 0.5)

    def unsmeared() -> Image | None:
        smear = deblur.smear_of(crop, module / scale) if unsmear else None
        if smear is None:
            return None
        sharp = deblur.unsmear(crop, smear)
        if scale == 1.0:
            return sharp
        enlarged = cv2.resize(sharp, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        return np.asarray(enlarged, np.uint8)

    return [
        lambda: crop,
        lambda: up if up is not crop else None,
        lambda: unsharp(up, module * 0.5),
        smoothed_sharp,
        unsmeared,
    ]


def look_closer(
    grey: Image, region: Region, unsmear: bool = True, first: int = 0, most: int = 0
) -> Closer:
    """Decode the region's crop under each repair until one reads; ``unsmear=False``
    leaves out the motion repair (the dearest, for a place that did not move).

    ``first`` and ``most`` spread one look over several frames: the repairs from
    ``first`` on, at most ``most`` of them tried (0: all; one that does not apply here
    is skipped, not counted); ``Closer.next`` says where a later look at the same place
    goes on."""
    x, y, w, h = region.box
    pad = max(w, h) // 4 + 4
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(grey.shape[1], x + w + pad), min(grey.shape[0], y + h + pad)
    crop = np.ascontiguousarray(grey[y0:y1, x0:x1])
    px = module_px(region)
    scale = float(np.clip(TARGET_MODULE_PX / max(px, 0.5), 1.0, 4.0))
    up = (
        crop
        if scale == 1.0
        else cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    )
    measured = dict(
        module_px=px,
        saturated=glare_share(crop, px),
    )
    quad, modules = region.quad, region.modules
    repairs = _repairs(crop, np.asarray(up, np.uint8), px * scale, scale, unsmear)
    turn, tried = first, 0
    while turn < REPAIRS and not (most and tried >= most):
        repaired = repairs[turn]()
        turn += 1
        if repaired is None:  # not applicable here: no cost, not counted
            continue
        tried += 1
        found = zxingcpp.read_barcodes(
            repaired, formats=MODEL_2, try_downscale=False, return_errors=True
        )
        for code in found:
            if quad is None or modules == 0:
                quad = quad_of(code) / scale + np.array([x0, y0], np.float32)
                modules = modules_of(code)
        if quad is not None and modules and region.quad is None:  # the module size, measured
            measured["module_px"] = module_px(Region(region.box, quad, modules))
        texts = [code.text for code in found if code.valid and code.text]
        if texts:
            return Closer(texts, quad, modules, **measured, next=REPAIRS)
    return Closer([], quad, modules, **measured, next=turn)
