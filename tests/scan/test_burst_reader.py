"""The stream reader on recorded bursts of the hard set: it reads what single frames
do not, never reports a payload that is not the card's, and keeps bounded memory."""

import random

import pytest

from bench import qr_frames_hard as hard
from common.card_number import make_card_number
from common.qr import encode_qr, parse_qr
from desktop.scan import burst as burst_module
from desktop.scan.burst import CLOSER, TILT, BurstReader, Spot
from desktop.scan.decoders import ZxingDecoder

KEY = random.Random(1515).randbytes(32)
CARD = encode_qr(make_card_number(1_000_515, 1), KEY)
FOREIGN = encode_qr(make_card_number(1_000_888, 1), random.Random(99).randbytes(32))


def ours(text: str) -> bool:
    return isinstance(parse_qr(text, KEY), str)


@pytest.fixture(scope="module")
def recorded() -> dict[str, hard.Burst]:
    """One 640x480 burst per category (index 1: the small frame size)."""
    return {c: hard.burst(c, CARD, 15, 1, FOREIGN) for c in hard.CATEGORIES}


def read_stream(frames: tuple[hard.HardFrame, ...], reader: BurstReader) -> list[list[str]]:
    return [reader.read(frame.image).codes for frame in frames]


@pytest.mark.parametrize("category", hard.CATEGORIES)
def test_a_burst_of_each_category_is_read_and_nothing_else_is(recorded, category):
    reads = read_stream(recorded[category].frames, BurstReader(ours))
    assert any(CARD in codes for codes in reads)
    assert {code for codes in reads for code in codes} == {CARD}


def test_the_small_codes_most_single_frames_miss_are_read_from_the_first_frame(recorded):
    """Enlarging the located crop: plain zxing-cpp misses most of these frames."""
    frames = recorded["small"].frames
    plain = ZxingDecoder()
    assert sum(CARD in plain.decode(f.image) for f in frames) < len(frames) // 2
    assert CARD in BurstReader(ours).read(frames[0].image).codes


def test_another_merchants_card_is_never_one_of_ours():
    """The decoy counters carry a real card signed with another key: the plain pass
    may hand it on (the till then says whose it is not), it is never accepted."""
    reader = BurstReader(ours)
    seen = []
    for frame in hard.empty_frames(6, seed=5, size=(640, 480), foreign=FOREIGN):
        reading = reader.read(frame.image)
        assert reading.codes == []
        seen += reading.others
    assert set(seen) == {FOREIGN}


def test_a_located_code_under_glare_is_outlined_with_the_glare_hint(recorded):
    spots = [s for f in recorded["glare"].frames[:4] for s in BurstReader(ours).read(f.image).spots]
    assert spots, "the glared code was neither read nor located"
    assert {s.hint for s in spots} == {TILT}
    assert all(len(s.corners) == 4 for s in spots)


def test_the_hint_for_a_tiny_unread_code_is_closer():
    from desktop.scan.crops import Closer

    tiny = Closer([], None, 25, module_px=1.6, saturated=0.0)
    assert burst_module.hint(tiny) == CLOSER


def test_the_reader_keeps_a_bounded_number_of_views(recorded):
    """An hour at 30 fps is 108 000 frames; what is kept must not grow with them."""
    reader = BurstReader(lambda _text: False, memory=6)  # nothing accepted: never resets
    for _ in range(4):
        for frame in recorded["glare"].frames:
            reader.read(frame.image)
    assert 0 < len(reader._views) <= 6


def test_spots_are_plain_values():
    assert Spot(((0.0, 0.0),) * 4, CLOSER) == Spot(((0.0, 0.0),) * 4, CLOSER)
