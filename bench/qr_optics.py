"""What a webcam does to a card, one effect at a time, for the hard frame set.

A pinhole camera looks at a card turned in 3-D; the card is warped into the scene, then
the optics and the sensor spoil it: lens softness, motion blur along the hand's path,
disc defocus, a glossy reflection that saturates the sensor, a phone screen's pixel
grid that aliases into moiré, shot and read noise, JPEG. Decoys are things on the
counter that look like a QR code to a detector. Pure numpy/OpenCV, seeded by the caller.
"""

import math
from collections.abc import Callable

import cv2
import numpy as np
from numpy.typing import NDArray

Grey = NDArray[np.float32]
Quad = NDArray[np.float32]  # 4x2: the code's corners (quiet zone included), clockwise
CARD_MARGIN = 2  # modules of white card beyond the quiet zone


def rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> NDArray[np.float64]:
    y, p, r = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return np.asarray(rz @ ry @ rx, dtype=np.float64)


def project(
    centre: tuple[float, float], side: float, turn: NDArray[np.float64], focal: float
) -> Quad:
    """The corners of a square of ``side`` px (seen square-on at distance ``focal``),
    turned by ``turn`` about its centre: real perspective, not corner jitter."""
    half = side / 2
    square = np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]])
    points = square @ turn.T + np.array([0.0, 0.0, focal])
    flat = focal * points[:, :2] / points[:, 2:3] + np.asarray(centre)
    return np.asarray(flat, dtype=np.float32)


def card_homography(quad: Quad, modules: int) -> NDArray[np.float64]:
    """Module coordinates (0..modules, quiet zone included) to frame pixels."""
    square = np.array([[0, 0], [modules, 0], [modules, modules], [0, modules]], np.float32)
    return np.asarray(cv2.getPerspectiveTransform(square, quad), dtype=np.float64)


def lay(scene: Grey, card: Grey, module_h: NDArray[np.float64], px_per_module: float) -> Grey:
    """Warp ``card`` (``px_per_module`` card pixels a module, its first pixel at module
    -CARD_MARGIN) onto the scene through ``module_h``; returns the card's coverage."""
    to_modules = np.array(
        [
            [1 / px_per_module, 0, -CARD_MARGIN],
            [0, 1 / px_per_module, -CARD_MARGIN],
            [0, 0, 1],
        ]
    )
    h = module_h @ to_modules
    height, width = scene.shape
    warped = cv2.warpPerspective(card, h, (width, height), flags=cv2.INTER_LINEAR)
    cover = cv2.warpPerspective(np.ones_like(card), h, (width, height), flags=cv2.INTER_LINEAR)
    scene *= 1 - cover
    scene += warped * cover
    return np.asarray(cover, dtype=np.float32)


def printed_card(modules: NDArray[np.uint8], px_per_module: float) -> tuple[Grey, float]:
    """The code printed on white card, at about the size it will be seen (the warp
    then only resamples a little, as a lens would: no aliasing of the print)."""
    padded = np.pad(modules, CARD_MARGIN, constant_values=255).astype(np.float32)
    scale = max(2, math.ceil(px_per_module))
    card = cv2.resize(padded, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    return np.asarray(card * (200 / 255) + 30, dtype=np.float32), float(scale)


def phone_screen(
    modules: NDArray[np.uint8], screen_px_per_module: int, rng: np.random.Generator
) -> tuple[Grey, float]:
    """The code on a phone in dark mode (light modules on near-black), drawn as the
    screen's pixel grid (lit subpixels with dark gaps, 4 samples a screen pixel): the
    camera samples that grid below its pitch, which is where moiré comes from."""
    padded = np.pad(modules, CARD_MARGIN, constant_values=255)
    lit = np.where(padded > 127, 18.0, float(rng.uniform(170, 215))).astype(np.float32)
    sub = 4
    scale = screen_px_per_module * sub
    screen = cv2.resize(lit, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    column = np.array([1.0, 1.0, 1.0, 0.15], np.float32)
    row = np.array([1.0, 1.0, 1.0, 0.45], np.float32)
    grid = np.outer(np.tile(row, screen.shape[0] // sub), np.tile(column, screen.shape[1] // sub))
    return np.asarray(screen * grid, dtype=np.float32), float(scale)


def _kernel(draw: Callable[[Grey, int], None], size: int) -> Grey:
    """A kernel drawn 4x larger then averaged down: smooth edges at sub-pixel sizes."""
    big = np.zeros((size * 4, size * 4), np.float32)
    draw(big, size * 2)
    small = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    return np.asarray(small / max(float(small.sum()), 1e-6), dtype=np.float32)


def motion_kernel(length_px: float, angle_deg: float) -> Grey:
    size = 2 * math.ceil(length_px / 2) + 3
    dx = math.cos(math.radians(angle_deg)) * length_px * 2
    dy = math.sin(math.radians(angle_deg)) * length_px * 2

    def draw(canvas: Grey, middle: int) -> None:
        start = (round((middle - dx) * 16), round((middle - dy) * 16))
        end = (round((middle + dx) * 16), round((middle + dy) * 16))
        cv2.line(canvas, start, end, 1.0, 4, cv2.LINE_AA, shift=4)

    return _kernel(draw, size)


def disc_kernel(radius_px: float) -> Grey:
    size = 2 * math.ceil(radius_px) + 3

    def draw(canvas: Grey, middle: int) -> None:
        cv2.circle(canvas, (middle * 16, middle * 16), round(radius_px * 4 * 16), 1.0, -1, 16, 4)

    return _kernel(draw, size)


def blur(image: Grey, kernel: Grey) -> Grey:
    return np.asarray(cv2.filter2D(image, -1, kernel), dtype=np.float32)


def glare(
    image: Grey, cover: Grey, centre: tuple[float, float], axes: tuple[float, float], angle: float
) -> Grey:
    """A lamp reflected by the glossy card: a soft-edged spot bright enough to
    saturate the sensor, so what lies under it is lost in this frame."""
    reach = int(max(axes) * 2) + 4
    x0, y0 = (max(0, int(c) - reach) for c in centre)
    x1 = min(image.shape[1], int(centre[0]) + reach)
    y1 = min(image.shape[0], int(centre[1]) + reach)
    if x1 <= x0 or y1 <= y0:
        return image
    spot = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.ellipse(
        spot,
        (round((centre[0] - x0) * 16), round((centre[1] - y0) * 16)),
        (round(axes[0] * 16), round(axes[1] * 16)),
        angle,
        0,
        360,
        1.0,
        -1,
        cv2.LINE_AA,
        4,
    )
    spot = cv2.GaussianBlur(spot, (0, 0), max(1.0, min(axes) * 0.35))
    image[y0:y1, x0:x1] += 420 * spot * cover[y0:y1, x0:x1]
    return image


def sensor(image: Grey, rng: np.random.Generator, gain: float, read_noise: float) -> Grey:
    """Exposure gain, shot noise (grows with the light) and read noise; then 8 bits.

    The noise comes from OpenCV's generator seeded from ``rng`` (numpy's normal costs
    60 ms a 720p frame, this 5)."""
    exposed = np.clip(image * gain, 0, 255)
    sigma = cv2.sqrt(exposed * 0.36 + read_noise * read_noise)
    unit = np.empty_like(exposed)
    cv2.setRNGSeed(int(rng.integers(2**31)))
    cv2.randn(unit, np.zeros(1), np.ones(1))
    return np.asarray(np.clip(exposed + unit * sigma, 0, 255), dtype=np.float32)


def jpeg(bgr: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), dtype=np.uint8)


def fake_code(rng: np.random.Generator, modules: int = 25) -> NDArray[np.uint8]:
    """A QR look-alike: three real finder patterns, random modules, no valid format
    information: detectors find it, no decoder should read it."""
    grid = np.where(rng.random((modules, modules)) < 0.5, 0, 255).astype(np.uint8)
    finder = np.full((7, 7), 0, np.uint8)
    finder[1:6, 1:6] = 255
    finder[2:5, 2:5] = 0
    for y, x in ((0, 0), (0, modules - 7), (modules - 7, 0)):
        grid[max(0, y - 1) : y + 8, max(0, x - 1) : x + 8] = 255  # the separator
        grid[y : y + 7, x : x + 7] = finder
    return np.pad(grid, 4, constant_values=255)


def checkerboard(rng: np.random.Generator) -> NDArray[np.uint8]:
    cells = int(rng.integers(6, 12))
    board = (np.indices((cells, cells)).sum(axis=0) % 2) * 255
    return np.pad(board.astype(np.uint8), 1, constant_values=255)


def barcode(rng: np.random.Generator) -> NDArray[np.uint8]:
    bars = np.where(rng.random(60) < 0.5, 0, 255).astype(np.uint8)
    return np.pad(np.tile(bars, (30, 1)), 3, constant_values=255)


def place_decoy(scene: Grey, pattern: NDArray[np.uint8], rng: np.random.Generator) -> None:
    """Print ``pattern`` somewhere on the counter, turned and in perspective."""
    height, width = scene.shape
    side = float(rng.uniform(0.12, 0.3)) * height
    centre = (float(rng.uniform(0.12, 0.88)) * width, float(rng.uniform(0.15, 0.85)) * height)
    yaw, pitch = (float(a) for a in rng.uniform(-25, 25, 2))
    turn = rotation(yaw, pitch, float(rng.uniform(0, 360)))
    quad = project(centre, side, turn, float(width))
    rows, cols = pattern.shape
    scale = max(2, math.ceil(side / max(rows, cols)))
    big = cv2.resize(pattern.astype(np.float32), None, fx=scale, fy=scale, interpolation=0)
    source = np.array([[0, 0], [cols, 0], [cols, rows], [0, rows]], np.float32) * scale
    h = cv2.getPerspectiveTransform(source, quad)
    warped = cv2.warpPerspective(big * (200 / 255) + 30, h, (width, height))
    cover = cv2.warpPerspective(np.ones_like(big), h, (width, height))
    scene *= 1 - cover
    scene += warped * cover
