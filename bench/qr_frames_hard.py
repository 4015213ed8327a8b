"""The hard frame set: bursts of 30 frames (one second at 30 fps) of one card held up
to a webcam, and frames with no card at all. Deterministic: everything is drawn from
the seed.

Each category stresses one thing a till webcam meets, at a level where many single
frames are unreadable, while the card moves along a hand's path (sway, turn, tilt):

- baseline: a printed card, mildly soft; the control.
- glare: a lamp's reflection saturates 20-35 % of the code and moves across it as the
  card tilts; most single frames have lost too much, every module is clear in some.
- small: 1.4-2.5 px a module (a card held far away, or a 640x480 camera), a little
  soft and JPEG-worn.
- motion: blur along the hand's path, up to 2-3.5 modules long; the hand slows
  at the ends of its sway.
- defocus: a disc blur of 0.4-1.3 modules, the autofocus hunting through the burst.
- moire: a phone in dark mode; the camera samples the screen's pixel grid below its
  pitch.
- decoys: a card on a counter with QR look-alikes (finder patterns over random modules,
  a checkerboard, a barcode) and another merchant's real card.

Half the bursts are 1280x720, half 640x480. Every frame carries the code's true
corners, so the benchmark can also ask whether a perfectly aligned fusion of the burst
is readable at all.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from bench import qr_optics as optics
from desktop.scan import frames

Image = NDArray[np.uint8]
CATEGORIES = ("baseline", "glare", "small", "motion", "defocus", "moire", "decoys")
BURST_FRAMES = 30
FPS = 30.0


@dataclass(frozen=True)
class HardFrame:
    """One BGR frame; ``quad`` the code's corners with its quiet zone (None: no code)."""

    category: str
    image: Image
    payload: str | None
    quad: optics.Quad | None = None
    modules: int = 0  # across the code, quiet zone included
    module_px: float = 0.0


@dataclass(frozen=True)
class Burst:
    category: str
    payload: str
    frames: tuple[HardFrame, ...]


@dataclass(frozen=True)
class Look:
    """How a category spoils the card (sizes in modules unless said)."""

    module_px: tuple[float, float] = (3.5, 7.0)
    sway: float = 0.03  # of the frame height
    motion: float = 0.4  # peak blur length
    defocus: tuple[float, float] = (0.0, 0.0)  # disc radius range through the burst
    glare: bool = False
    phone: bool = False
    decoys: int = 0
    read_noise: tuple[float, float] = (2.0, 5.0)
    quality: tuple[int, int] = (60, 90)


LOOKS = {
    "baseline": Look(),
    "glare": Look(module_px=(3.5, 6.0), glare=True),
    "small": Look(
        module_px=(1.4, 2.5), sway=0.01, motion=0.3, defocus=(0.25, 0.5), quality=(50, 80)
    ),
    "motion": Look(module_px=(3.5, 6.0), sway=0.05, motion=3.0),
    "defocus": Look(module_px=(3.0, 6.0), defocus=(0.4, 1.3)),
    "moire": Look(module_px=(3.0, 6.0), phone=True),
    "decoys": Look(module_px=(3.0, 6.0), decoys=4),
}


def _background(
    rng: np.random.Generator, size: frames.Size, decoys: int, foreign: str | None
) -> optics.Grey:
    scene = frames.scene(rng, size)
    patterns = [optics.fake_code(rng), optics.checkerboard(rng), optics.barcode(rng)]
    if foreign is not None:
        patterns.append(np.asarray(frames.qr_modules(foreign)))
    for i in range(decoys):
        optics.place_decoy(scene, patterns[i % len(patterns)], rng)
    return scene


def _crop_blur(image: optics.Grey, quad: optics.Quad, kernel: optics.Grey) -> None:
    """Blur only around the card (the counter stands still; it also costs less)."""
    pad = kernel.shape[0] + 8
    x0, y0 = (max(0, int(v) - pad) for v in quad.min(axis=0))
    x1 = min(image.shape[1], int(quad[:, 0].max()) + pad)
    y1 = min(image.shape[0], int(quad[:, 1].max()) + pad)
    if x1 > x0 and y1 > y0:
        image[y0:y1, x0:x1] = optics.blur(image[y0:y1, x0:x1], kernel)


def burst(category: str, payload: str, seed: int, index: int, foreign: str) -> Burst:
    """Thirty frames of one card, held up and moved as a hand does."""
    look = LOOKS[category]
    rng = np.random.default_rng((seed, CATEGORIES.index(category), index))
    width, height = size = frames.HD if index % 2 == 0 else frames.VGA
    modules = np.asarray(frames.qr_modules(payload))
    count = modules.shape[0]
    module_px = float(rng.uniform(*look.module_px))
    side = module_px * count
    background = _background(rng, size, look.decoys, foreign if look.decoys else None)
    if look.phone:
        screen_px = max(2, round(module_px * rng.uniform(0.8, 1.3)))
        card, card_scale = optics.phone_screen(modules, screen_px, rng)
    else:
        card, card_scale = optics.printed_card(modules, module_px)
    room = np.array([width, height]) / 2 - side * 0.8 - look.sway * height
    start = np.array([width, height]) / 2 + rng.uniform(-1, 1, 2) * np.maximum(room, 0) * 0.6
    hz, phase = rng.uniform(0.6, 1.1), rng.uniform(0, 2 * math.pi, 4)
    sway = look.sway * height
    yaw0, pitch0, roll0 = rng.uniform(-25, 25), rng.uniform(-25, 25), rng.uniform(-40, 40)
    glare_dir = rng.uniform(0, 2 * math.pi)
    glare_axes = (side * rng.uniform(0.26, 0.34), side * rng.uniform(0.13, 0.18))
    gain, read_noise = rng.uniform(0.85, 1.1), rng.uniform(*look.read_noise)
    quality = int(rng.integers(*look.quality))
    taken = []
    for i in range(BURST_FRAMES):
        t = i / FPS
        w = 2 * math.pi * hz
        centre = start + sway * np.array(
            [math.sin(w * t + phase[0]), 0.6 * math.sin(1.37 * w * t + phase[1])]
        )
        velocity = np.array(
            [math.cos(w * t + phase[0]), 0.6 * 1.37 * math.cos(1.37 * w * t + phase[1])]
        )
        turn = optics.rotation(
            yaw0 + 8 * math.sin(w * t * 0.5 + phase[2]),
            pitch0 + 6 * math.sin(w * t * 0.4 + phase[3]),
            roll0 + 4 * math.sin(w * t * 0.7),
        )
        quad = optics.project((float(centre[0]), float(centre[1])), side, turn, float(width))
        image = background.copy()
        cover = optics.lay(image, card, optics.card_homography(quad, count), card_scale)
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), 0.5), dtype=np.float32)  # the lens
        blur_px = look.motion * module_px * float(np.linalg.norm(velocity)) / 1.2
        if blur_px > 0.7:
            angle = math.degrees(math.atan2(velocity[1], velocity[0]))
            _crop_blur(image, quad, optics.motion_kernel(blur_px, angle))
        low, high = look.defocus
        radius = (low + (high - low) * (0.5 + 0.5 * math.sin(5.0 * t + phase[2]))) * module_px
        if radius > 0.5:
            _crop_blur(image, quad, optics.disc_kernel(radius))
        if look.glare:
            middle = quad.mean(axis=0)
            along = (i / (BURST_FRAMES - 1) - 0.5) * 0.9 * side
            spot = middle + along * np.array([math.cos(glare_dir), math.sin(glare_dir)])
            angle = math.degrees(glare_dir) + 90
            image = optics.glare(image, cover, (float(spot[0]), float(spot[1])), glare_axes, angle)
        image = optics.sensor(image, rng, gain, read_noise)
        shot = optics.jpeg(frames.to_bgr(image, rng), quality)
        taken.append(HardFrame(category, shot, payload, quad, count, module_px))
    return Burst(category, payload, tuple(taken))


def bursts(
    payloads: list[str], foreign: str, seed: int = 15, categories: tuple[str, ...] = CATEGORIES
) -> list[Burst]:
    """One burst per payload in each category (payload i in burst i of each)."""
    return [
        burst(category, payload, seed, i, foreign)
        for category in categories
        for i, payload in enumerate(payloads)
    ]


def empty_frames(
    count: int,
    seed: int = 16,
    size: frames.Size = frames.HD,
    foreign: str | None = None,
    exposures: int = 1,
) -> list[HardFrame]:
    """Counters with nobody at the till: clutter, every other one with decoys (and
    another merchant's card if ``foreign``), sensor noise, dim light now and then, JPEG.

    Each counter is taken ``exposures`` times in a row, each with its own noise and
    colour cast, as a camera watching an idle till sends them (never the same bytes)."""
    shots = []
    for i in range(count):
        rng = np.random.default_rng((seed, i))
        scene = _background(rng, size, 4 if i % 2 else 0, foreign)
        gain = 0.3 if i % 5 == 4 else float(rng.uniform(0.85, 1.1))
        read_noise = float(rng.uniform(2, 6))
        for _ in range(exposures):
            image = optics.sensor(scene, rng, gain, read_noise)
            shots.append(HardFrame("empty", optics.jpeg(frames.to_bgr(image, rng), 80), None))
    return shots
