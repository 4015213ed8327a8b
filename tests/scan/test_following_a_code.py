"""Following a located code through a glared burst: its views are snapped onto the QR
skeleton, carried from frame to frame and back into earlier frames, and a look-alike
with random timing lines is never taken for a code."""

import random

import numpy as np
import pytest

from bench import qr_frames_hard as hard
from bench import qr_optics
from common.card_number import make_card_number
from common.qr import encode_qr, parse_qr
from desktop.scan import fusion, grid, track
from desktop.scan.burst import BurstReader, grey_of
from desktop.scan.locate import Quad, Region
from desktop.scan.recent import Recent

KEY = random.Random(1516).randbytes(32)
CARD = encode_qr(make_card_number(1_000_516, 2), KEY)
FOREIGN = encode_qr(make_card_number(1_000_888, 4), random.Random(98).randbytes(32))


def ours(text: str) -> bool:
    return isinstance(parse_qr(text, KEY), str)


@pytest.fixture(scope="module")
def glare() -> hard.Burst:
    return hard.burst("glare", CARD, 15, 5, FOREIGN)


def symbol(frame: hard.HardFrame) -> tuple[Quad, int]:
    """The symbol's true corners (quiet zone left out) and its side in modules."""
    assert frame.quad is not None
    inner = frame.modules - 2 * 4
    h = qr_optics.card_homography(frame.quad, frame.modules)
    square = np.array([[4, 4, 1], [4 + inner, 4, 1], [4 + inner, 4 + inner, 1], [4, 4 + inner, 1]])
    points = square @ h.T
    return np.asarray(points[:, :2] / points[:, 2:3], np.float32), inner


def off_by(quad: Quad, frame: hard.HardFrame) -> float:
    """How far the corners are from the truth, in modules."""
    true, inner = symbol(frame)
    side = float(np.linalg.norm(true[1] - true[0]))
    return float(np.abs(quad - true).max()) / (side / inner)


def test_a_view_cut_a_module_off_is_snapped_back_onto_the_grid(glare: hard.Burst) -> None:
    frame = glare.frames[29]  # the glare has moved off most of the code
    true, inner = symbol(frame)
    side = float(np.linalg.norm(true[1] - true[0]))
    shifted = true + np.float32(0.6 * side / inner)
    snapped = grid.snap(grey_of(frame.image), fusion.view_of(grey_of(frame.image), shifted, inner))
    assert snapped is not None
    assert off_by(snapped.quad, frame) < 0.3


def test_a_look_alike_with_random_timing_lines_is_not_a_code() -> None:
    rng = np.random.default_rng(3)
    fake = qr_optics.fake_code(rng, modules=25)  # finder patterns over random modules
    image = np.kron(fake, np.ones((6, 6), np.uint8)).astype(np.uint8)  # 4 modules of margin
    quad = np.array([[24, 24], [174, 24], [174, 174], [24, 174]], np.float32)
    view = fusion.view_of(image, quad, 25)  # exactly on its grid
    assert not grid.keeps_time(view)
    assert grid.snap(image, view) is None


def test_the_timing_lines_of_a_real_code_alternate(glare: hard.Burst) -> None:
    frame = glare.frames[29]
    true, inner = symbol(frame)
    assert grid.keeps_time(fusion.view_of(grey_of(frame.image), true, inner))


def test_a_located_code_is_followed_into_the_next_frames(glare: hard.Burst) -> None:
    true, inner = symbol(glare.frames[20])
    last = fusion.view_of(grey_of(glare.frames[20].image), true, inner)
    for frame in glare.frames[21:26]:
        view = track.follow(grey_of(frame.image), last)
        assert view is not None
        assert off_by(view.quad, frame) < 0.5
        last = view


def test_a_code_located_late_is_followed_back_into_the_frames_before(glare: hard.Burst) -> None:
    recent = Recent(frames=6)
    for frame in glare.frames[14:20]:  # the texture search's patches of each frame
        grey = grey_of(frame.image)
        true, _inner = symbol(frame)
        x, y = (int(v) for v in true.min(axis=0))
        w, h = (int(v) for v in true.max(axis=0) - true.min(axis=0))
        recent.keep(grey, [Region((x, y, w, h))])
    true, inner = symbol(glare.frames[20])
    views = track.back(
        fusion.view_of(grey_of(glare.frames[20].image), true, inner), recent.newest_first()
    )
    assert len(views) == 6
    for view, frame in zip(views, reversed(glare.frames[14:20]), strict=True):
        assert off_by(view.quad, frame) < 0.5


def test_the_recent_patches_are_bounded_by_count(glare: hard.Burst) -> None:
    recent = Recent(frames=4, per_frame=2)
    for frame in glare.frames:
        recent.keep(grey_of(frame.image), [])
    assert len(recent) == 4


def test_a_burst_no_single_frame_reads_is_read_from_the_stream(glare: hard.Burst) -> None:
    single = BurstReader(ours, memory=1, looks=4)
    assert not any(CARD in single.read(f.image).codes for f in glare.frames[:20])
    stream = BurstReader(ours)
    reads = [stream.read(f.image).codes for f in glare.frames]
    assert any(CARD in codes for codes in reads)
    assert {code for codes in reads for code in codes} == {CARD}
