"""Undoing a hand's motion smear: the smear measured from the crop alone, and a card
swept across the camera so fast that no detector finds its corners in any frame read
from the burst (the hard set's motion burst 14 of seed 15, the one the stream reader
missed before)."""

import math
import random

import numpy as np
import pytest
import zxingcpp
from numpy.typing import NDArray

from bench import qr_frames_hard as hard
from bench import qr_optics as optics
from common.card_number import make_card_number
from common.qr import encode_qr, parse_qr
from desktop.scan import deblur, frames
from desktop.scan.burst import BurstReader, moved
from desktop.scan.locate import MODEL_2, Region

KEY = random.Random(15).randbytes(32)  # as bench.qr_burst draws them for seed 15
CARD = encode_qr(make_card_number(1_000_777, 15 * 10_000 + 14), KEY)
FOREIGN = encode_qr(make_card_number(1_000_888, 1), random.Random(15 + 7919).randbytes(32))


def ours(text: str) -> bool:
    return isinstance(parse_qr(text, KEY), str)


def smeared(length_px: float, angle_deg: float, seed: int = 3) -> NDArray[np.uint8]:
    """The card at 5 px a module, smeared along ``angle_deg``, with sensor noise."""
    card, _scale = optics.printed_card(np.asarray(frames.qr_modules(CARD)), 5.0)  # 5 px a module
    image = optics.blur(np.pad(card, 20, mode="edge"), optics.motion_kernel(length_px, angle_deg))
    noise = np.random.default_rng(seed).normal(0, 3, image.shape)
    return np.asarray(np.clip(image + noise, 0, 255), np.uint8)


def reads(image: NDArray[np.uint8]) -> bool:
    found = zxingcpp.read_barcodes(image, formats=MODEL_2, try_downscale=False)
    return any(code.text == CARD for code in found)


@pytest.mark.parametrize(("length", "angle"), [(12.0, 30.0), (10.0, 115.0), (14.0, 170.0)])
def test_the_smear_is_measured_from_the_crop_and_undone(length: float, angle: float) -> None:
    crop = smeared(length, angle)
    assert not reads(crop)
    smear = deblur.smear_of(crop, 5.0)
    assert smear is not None
    off = abs((math.degrees(smear.angle) - angle + 90) % 180 - 90)
    assert off < 10
    assert abs(smear.length - length) <= 2
    assert reads(deblur.unsmear(crop, smear))


def test_a_crop_without_a_smear_is_left_alone() -> None:
    assert deblur.smear_of(smeared(0.1, 0.0), 5.0) is None


@pytest.fixture(scope="module")
def swept() -> hard.Burst:
    return hard.burst("motion", CARD, 15, 14, FOREIGN)


def test_a_card_swept_too_fast_for_any_detector_is_read_from_the_stream(swept: hard.Burst) -> None:
    reader = BurstReader(ours)
    read = [reader.read(frame.image).codes for frame in swept.frames]
    assert any(CARD in codes for codes in read)
    assert {code for codes in read for code in codes} == {CARD}
    plain = [zxingcpp.read_barcodes(f.image, formats=MODEL_2) for f in swept.frames]
    assert not any(code.position for found in plain for code in found)  # never located


def test_only_a_patch_carried_since_the_frame_before_counts_as_moving() -> None:
    """The dearest repair is spent on a card in a hand, not on a still counter."""
    patch = Region((100, 100, 120, 120))
    assert not moved(patch, [])
    assert not moved(patch, [(101, 99, 120, 120)])  # the same place, noise in its edges
    assert moved(patch, [(94, 104, 120, 120)])  # carried a few pixels
    assert not moved(patch, [(94, 104, 40, 40)])  # another, smaller thing nearby
    assert not moved(patch, [(400, 100, 120, 120)])  # another thing far off
