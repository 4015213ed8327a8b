"""Undoing a hand's motion blur on a located crop, from the crop alone.

A card swept past the webcam is smeared along one direction by 2-3 modules: the
finder patterns' rings merge into streaks and no detector finds the code, in any
frame of the burst. The smear is a line kernel whose direction and length the crop
itself gives away:

- direction: blur removes the gradients along the motion, so the crop's structure
  tensor has a weak axis (a sharp code's gradients are about as strong both ways);
- length: along that axis, each edge becomes a ramp as long as the kernel, so the
  derivative's autocorrelation dips at a lag of one kernel length.

A Wiener filter with that kernel then restores the module edges, and a light blur
takes the noise it amplifies back down before zxing-cpp sees it. Nothing here decides
what the code says: zxing's Reed-Solomon check and the payload's check still do.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]

MAX_ANISOTROPY = 0.5  # weak-axis over strong-axis gradient energy: above, not smeared
LONGEST_PX = 40  # longer smears are not looked for (a card swept faster is a blur)
NOISE_TO_SIGNAL = 0.01
DENOISE_SIGMA = 1.0


@dataclass(frozen=True)
class Smear:
    """A line blur: its direction (radians, image axes) and length in pixels."""

    angle: float
    length: float


def direction(crop: Image) -> tuple[float, float]:
    """The crop's weakest gradient axis (radians) and how weak it is against the
    strongest (0: all edges along one axis, 1: no preferred axis)."""
    level = crop.astype(np.float32)
    gx = cv2.Sobel(level, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(level, cv2.CV_32F, 0, 1)
    jxx, jyy, jxy = float((gx * gx).mean()), float((gy * gy).mean()), float((gx * gy).mean())
    half, spread = (jxx + jyy) / 2, math.hypot((jxx - jyy) / 2, jxy)
    strongest = 0.5 * math.atan2(2 * jxy, jxx - jyy)
    return strongest + math.pi / 2, (half - spread) / max(half + spread, 1e-6)


def length(crop: Image, angle: float, longest: int = LONGEST_PX) -> float:
    """The smear's length along ``angle``: the lag where the directional derivative's
    autocorrelation is lowest (the two ends of each blurred edge), from the crop's
    middle half turned so the smear runs along the rows."""
    level = crop.astype(np.float32)
    h, w = level.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), math.degrees(angle), 1.0)
    turned = cv2.warpAffine(level, turn, (w, h), borderMode=cv2.BORDER_REFLECT)
    middle = turned[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    slope = np.diff(middle, axis=1)
    slope -= slope.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(slope, n=2 * slope.shape[1], axis=1)
    lags = np.fft.irfft(np.abs(spectrum) ** 2, axis=1).sum(axis=0)
    top = min(longest, lags.size - 1)
    # the dip lies one pixel past the kernel's length (its anti-aliased ends)
    return float(np.argmin(lags[3:top]) + 3 - 1) if top > 4 else 0.0


def smear_of(crop: Image, module_px: float) -> Smear | None:
    """The crop's motion smear, if it has one longer than a module (shorter ones an
    unsharp mask handles); None for a crop without a preferred blur axis."""
    angle, anisotropy = direction(crop)
    if anisotropy > MAX_ANISOTROPY:
        return None
    found = length(crop, angle)
    return Smear(angle, found) if found >= module_px else None


def _line(shape: tuple[int, int], smear: Smear) -> NDArray[np.float32]:
    """The smear's kernel centred on pixel (0, 0) of an image of ``shape`` (wrapped)."""
    size = 2 * math.ceil(smear.length / 2) + 3
    canvas = np.zeros((size * 8, size * 8), np.float32)
    middle = size * 8 / 2
    dx = math.cos(smear.angle) * smear.length * 4
    dy = math.sin(smear.angle) * smear.length * 4
    ends = [(round((middle - dx) * 8), round((middle - dy) * 8))]
    ends.append((round((middle + dx) * 8), round((middle + dy) * 8)))
    cv2.line(canvas, ends[0], ends[1], 1.0, 8, cv2.LINE_AA, 3)
    small = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    kernel = np.zeros(shape, np.float32)
    kernel[:size, :size] = small / max(float(small.sum()), 1e-6)
    return np.roll(kernel, (-(size // 2), -(size // 2)), axis=(0, 1))


def unsmear(crop: Image, smear: Smear) -> Image:
    """The crop with the smear undone (Wiener), then lightly smoothed against the
    noise the inverse filter amplifies; its edges padded so they do not ring."""
    pad = math.ceil(smear.length) + 4
    h, w = crop.shape
    rows, cols = cv2.getOptimalDFTSize(h + 2 * pad), cv2.getOptimalDFTSize(w + 2 * pad)
    padded = cv2.copyMakeBorder(
        crop, pad, rows - h - pad, pad, cols - w - pad, cv2.BORDER_REPLICATE
    ).astype(np.float32)
    image = cv2.dft(padded, flags=cv2.DFT_COMPLEX_OUTPUT)
    kernel = cv2.dft(_line((rows, cols), smear), flags=cv2.DFT_COMPLEX_OUTPUT)
    power = kernel[..., 0] ** 2 + kernel[..., 1] ** 2 + NOISE_TO_SIGNAL
    restored = cv2.mulSpectrums(image, kernel, 0, conjB=True) / power[..., None]
    out = cv2.idft(restored, flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT)[
        pad : pad + h, pad : pad + w
    ]
    smooth = cv2.GaussianBlur(out, (0, 0), DENOISE_SIGMA)
    return np.asarray(np.clip(smooth, 0, 255), np.uint8)
