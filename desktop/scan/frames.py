"""Camera-like frames holding a real QR code, for tests and the decoder benchmark.

No webcam exists where the tests run, so the scan path is fed frames built here: the
``qrcode`` package's module matrix printed on a white card, laid into a cluttered
scene by a homography (size, rotation, tilt), then spoiled the way a till webcam
spoils it (motion and focus blur, low contrast, noise, dim or blown-out light, glare).
Everything is drawn from one seed, so a set of frames is the same on every run.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import qrcode
from numpy.typing import NDArray

Image = NDArray[np.uint8]
Grey = NDArray[np.float32]  # a scene being built: grey levels, may stray outside 0..255
Size = tuple[int, int]  # (width, height)
VGA: Size = (640, 480)
HD: Size = (1280, 720)
QUIET_ZONE = 4


@dataclass(frozen=True)
class Frame:
    """One BGR frame and the payload a decoder should find in it (None: no code)."""

    name: str
    image: Image
    payload: str | None


@dataclass(frozen=True)
class Pose:
    """Where the code lands: side as a share of the frame height, and its tilt."""

    side: float = 0.45
    angle_deg: float = 0.0
    tilt: float = 0.0  # corner jitter as a share of the side (perspective)
    offset: tuple[float, float] = (0.0, 0.0)  # centre shift as a share of the frame


@functools.lru_cache(maxsize=256)
def qr_modules(payload: str, error_correction: int = qrcode.constants.ERROR_CORRECT_M) -> Image:
    """The code's modules with its quiet zone: 0 = dark, 255 = light, one pixel each.

    Cached (choosing the mask is the slow part); the array is read-only."""
    code = qrcode.QRCode(error_correction=error_correction, border=QUIET_ZONE)
    code.add_data(payload)
    code.make(fit=True)
    dark = np.array(code.get_matrix(), dtype=bool)
    modules = np.where(dark, 0, 255).astype(np.uint8)
    modules.flags.writeable = False
    return modules


def scene(rng: np.random.Generator, size: Size) -> Grey:
    """A counter top: a soft gradient, blotches and a few hard-edged objects."""
    width, height = size
    gx, gy = rng.uniform(-60, 60, 2)
    across = np.linspace(0, gx, width, dtype=np.float32)[None, :]
    down = np.linspace(0, gy, height, dtype=np.float32)[:, None]
    scene = 120 + across + down
    blotches = rng.normal(0, 25, (height // 40 + 1, width // 40 + 1)).astype(np.float32)
    scene += cv2.resize(blotches, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(3, 8))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(20, width // 3)), y0 + int(rng.integers(5, height // 4))
        cv2.rectangle(scene, (x0, y0), (x1, y1), float(rng.uniform(20, 235)), -1)
    return np.asarray(scene, dtype=np.float32)


def _corners(pose: Pose, size: Size, rng: np.random.Generator) -> NDArray[np.float32]:
    width, height = size
    side = pose.side * height
    centre = np.array([width / 2 + pose.offset[0] * width, height / 2 + pose.offset[1] * height])
    half = side / 2
    square = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
    angle = np.deg2rad(pose.angle_deg)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    jitter = rng.uniform(-pose.tilt, pose.tilt, (4, 2)) * side
    return np.asarray(square @ rotation.T + centre + jitter, dtype=np.float32)


def _lay_code(scene: Grey, modules: Image, corners: NDArray[np.float32]) -> Grey:
    """Print the code at about its final size, then warp it onto the scene."""
    side = max(8, round(float(np.linalg.norm(corners[1] - corners[0]))))
    sharp = np.kron(modules, np.ones((10, 10), dtype=np.uint8))
    card = cv2.resize(sharp, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32)
    source = np.array([[0, 0], [side, 0], [side, side], [0, side]], dtype=np.float32)
    homography = cv2.getPerspectiveTransform(source, corners)
    height, width = scene.shape
    warped = cv2.warpPerspective(card, homography, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(
        np.ones_like(card), homography, (width, height), flags=cv2.INTER_LINEAR
    )
    return np.asarray(scene * (1 - mask) + warped * mask, dtype=np.float32)


@dataclass(frozen=True)
class Shot:
    """What a spoiler may know of the frame: blur that hides a module at one size is
    harmless at another, and glare lands on the code, not somewhere beside it."""

    rng: np.random.Generator
    module_px: float
    code_centre: tuple[float, float]
    code_side_px: float


Spoiler = Callable[[Grey, Shot], Grey]


def motion_blur(image: Grey, shot: Shot) -> Grey:
    length = max(3, round(shot.module_px * shot.rng.uniform(1.0, 1.5)))
    line = np.zeros((length, length), dtype=np.float32)
    line[length // 2, :] = 1.0
    middle = (length / 2 - 0.5, length / 2 - 0.5)
    turn = cv2.getRotationMatrix2D(middle, shot.rng.uniform(0, 180), 1)
    kernel = cv2.warpAffine(line, turn, (length, length))
    return np.asarray(cv2.filter2D(image, -1, kernel / kernel.sum()), dtype=np.float32)


def defocus(image: Grey, shot: Shot) -> Grey:
    sigma = shot.module_px * shot.rng.uniform(0.35, 0.5)
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.float32)


def low_contrast(image: Grey, shot: Shot) -> Grey:
    mid, span = shot.rng.uniform(110, 150), shot.rng.uniform(0.18, 0.25)
    return np.asarray(mid + (image - 128) * span, dtype=np.float32)


def noise(image: Grey, shot: Shot) -> Grey:
    grain = shot.rng.normal(0, shot.rng.uniform(22, 32), image.shape)
    return np.asarray(image + grain, dtype=np.float32)


def dim(image: Grey, shot: Shot) -> Grey:
    dark = image * shot.rng.uniform(0.12, 0.2) + shot.rng.normal(0, 3, image.shape)
    return np.asarray(dark, dtype=np.float32)


def overexposed(image: Grey, shot: Shot) -> Grey:
    gain, lift = shot.rng.uniform(1.5, 1.9), shot.rng.uniform(70, 100)
    return np.asarray(image * gain + lift, dtype=np.float32)


def glare(image: Grey, shot: Shot) -> Grey:
    """A soft bright spot on the code: a lamp reflected by a glossy card or a phone."""
    rng, side = shot.rng, shot.code_side_px
    sharp = np.zeros_like(image)
    x, y = (c + rng.uniform(-0.2, 0.2) * side for c in shot.code_centre)
    axes = (round(side * rng.uniform(0.18, 0.26)), round(side * rng.uniform(0.08, 0.13)))
    cv2.ellipse(sharp, (round(x), round(y)), axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
    spot = cv2.GaussianBlur(sharp, (0, 0), max(1.0, side * 0.05))
    strength = rng.uniform(0.6, 0.8)
    return np.asarray(image * (1 - strength * spot) + 255 * strength * spot, dtype=np.float32)


SPOILERS: dict[str, Spoiler] = {
    "motion": motion_blur,
    "defocus": defocus,
    "low-contrast": low_contrast,
    "noise": noise,
    "dim": dim,
    "overexposed": overexposed,
    "glare": glare,
}


def to_bgr(grey: Grey, rng: np.random.Generator) -> Image:
    """Saturate to 8 bits, as a sensor does, with a slight colour cast."""
    grey8 = cv2.cvtColor(np.clip(grey, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    tint = np.diag(rng.uniform(0.9, 1.1, 3)).astype(np.float32)
    return np.asarray(cv2.transform(grey8, tint), dtype=np.uint8)


def render(
    payload: str | None,
    seed: int,
    size: Size = HD,
    pose: Pose | None = None,
    spoilers: tuple[str, ...] = (),
    name: str = "",
) -> Frame:
    """One frame: the scene, the code (unless ``payload`` is None), then the spoilers."""
    rng = np.random.default_rng(seed)
    image = scene(rng, size)
    corners = _corners(pose or Pose(), size, rng)
    side = float(np.linalg.norm(corners[1] - corners[0]))
    modules = qr_modules(payload or "no code: spoil as if one were here")
    if payload is not None:
        image = _lay_code(image, modules, corners)
    centre = corners.mean(axis=0)
    shot = Shot(rng, side / modules.shape[0], (float(centre[0]), float(centre[1])), side)
    for spoiler in spoilers:
        image = SPOILERS[spoiler](image, shot)
    return Frame(name or "+".join(spoilers) or "plain", to_bgr(image, rng), payload)


def _hard_pose(kind: str, rng: np.random.Generator) -> Pose:
    offset = (float(rng.uniform(-0.15, 0.15)), float(rng.uniform(-0.1, 0.1)))
    if kind == "small":  # about 2.5 px a module in a 720-line frame
        return Pose(side=rng.uniform(0.11, 0.14), angle_deg=rng.uniform(-8, 8), offset=offset)
    if kind == "rotated":
        return Pose(side=rng.uniform(0.3, 0.45), angle_deg=rng.uniform(15, 345), offset=offset)
    return Pose(side=rng.uniform(0.3, 0.45), angle_deg=rng.uniform(-20, 20), tilt=0.18)


HARD_POSES = ("small", "rotated", "tilted")


def easy_frames(payloads: list[str], seed: int = 1, size: Size = HD) -> list[Frame]:
    """Well-lit, square-on codes at a comfortable size, one frame per payload."""
    frames = []
    for i, payload in enumerate(payloads):
        rng = np.random.default_rng((seed, i))
        pose = Pose(side=rng.uniform(0.35, 0.55), angle_deg=rng.uniform(-6, 6))
        frames.append(render(payload, seed * 100_003 + i, size, pose, name="easy"))
    return frames


def hard_frames(payloads: list[str], seed: int = 2, size: Size = HD) -> list[Frame]:
    """Each frame: one awkward pose (small, rotated, tilted) and one kind of spoiling,
    cycling so that every pairing of the two appears in a set of 21 or more."""
    frames = []
    spoilers = list(SPOILERS)
    for i, payload in enumerate(payloads):
        rng = np.random.default_rng((seed, i))
        kind = HARD_POSES[i % len(HARD_POSES)]
        spoiler = spoilers[(i // len(HARD_POSES)) % len(spoilers)]
        pose = _hard_pose(kind, rng)
        frames.append(
            render(payload, seed * 100_003 + i, size, pose, (spoiler,), f"{kind}+{spoiler}")
        )
    return frames


def empty_frames(count: int, seed: int = 3, size: Size = HD) -> list[Frame]:
    """Scenes with no code in them, some spoiled, to measure the cost of finding nothing."""
    spoilers = [(), *((name,) for name in SPOILERS)]
    return [
        render(None, seed * 100_003 + i, size, spoilers=spoilers[i % len(spoilers)])
        for i in range(count)
    ]
