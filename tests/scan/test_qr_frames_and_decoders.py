"""Generated camera frames, the QR decoders and the scan debouncer (no Qt, no camera)."""

import random

import numpy as np
import pytest

from common.card_number import make_card_number
from common.qr import encode_qr, parse_qr
from desktop.scan import frames
from desktop.scan.decoders import all_decoders, best_decoder
from desktop.scan.reader import CameraUnavailable, OpenCvCamera, ScanDebouncer

KEY = random.Random(20240611).randbytes(32)  # random, but the same every run
HARD_SET = len(frames.HARD_POSES) * len(frames.SPOILERS)  # every pose with every spoiler


def payloads(count: int) -> list[str]:
    return [encode_qr(make_card_number(1_000_123, 500 + i), KEY) for i in range(count)]


@pytest.fixture(scope="module")
def hard() -> list[frames.Frame]:
    return frames.hard_frames(payloads(HARD_SET))


def test_generated_payloads_are_real_card_codes():
    assert all(isinstance(parse_qr(payload, KEY), str) for payload in payloads(3))


def test_frames_from_the_same_seed_are_identical():
    first = frames.hard_frames(payloads(2), seed=9, size=frames.VGA)
    again = frames.hard_frames(payloads(2), seed=9, size=frames.VGA)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, again, strict=True))


def test_frames_are_bgr_images_of_the_requested_size():
    (frame,) = frames.easy_frames(payloads(1), size=frames.VGA)
    assert frame.image.shape == (480, 640, 3)
    assert frame.image.dtype == np.uint8


def test_the_hard_set_pairs_every_awkward_pose_with_every_kind_of_spoiling(hard):
    names = {frame.name for frame in hard}
    assert names == {f"{pose}+{spoil}" for pose in frames.HARD_POSES for spoil in frames.SPOILERS}


def test_every_decoder_reads_a_plain_frame_back_to_its_payload():
    (frame,) = frames.easy_frames(payloads(1), size=frames.VGA)
    for decoder in all_decoders():
        assert decoder.decode(frame.image) == [frame.payload], decoder.name


def test_the_chosen_decoder_reads_every_easy_frame():
    easy = frames.easy_frames(payloads(6))
    decoder = best_decoder()
    assert [decoder.decode(frame.image) for frame in easy] == [[f.payload] for f in easy]


def test_the_chosen_decoder_reads_at_least_four_in_five_hard_frames(hard):
    """Per frame; a card held up is seen over many frames (the bench has the figures)."""
    decoder = best_decoder()
    read = [frame.name for frame in hard if decoder.decode(frame.image) == [frame.payload]]
    assert len(read) >= 0.8 * len(hard), sorted({f.name for f in hard} - set(read))


def test_the_chosen_decoder_never_reads_a_wrong_payload(hard):
    decoder = best_decoder()
    for frame in hard:
        assert set(decoder.decode(frame.image)) <= {frame.payload}


def test_frames_without_a_code_decode_to_nothing():
    decoder = best_decoder()
    for frame in frames.empty_frames(len(frames.SPOILERS) + 1):
        assert frame.payload is None
        assert decoder.decode(frame.image) == [], frame.name


def test_a_camera_that_does_not_exist_is_reported_as_unavailable():
    with pytest.raises(CameraUnavailable):
        OpenCvCamera(99)


A, B = payloads(2)


def test_a_code_held_in_view_is_reported_once():
    debouncer = ScanDebouncer(hold_seconds=2.0)
    reports = [debouncer.offer([A], now=t / 30) for t in range(300)]
    assert [code for report in reports for code in report] == [A]


def test_frames_where_the_decoder_misses_the_code_do_not_end_its_stay_in_view():
    debouncer = ScanDebouncer(hold_seconds=2.0)
    assert debouncer.offer([A], now=0.0) == [A]
    assert debouncer.offer([], now=1.0) == []
    assert debouncer.offer([A], now=1.9) == []
    assert debouncer.offer([A], now=3.5) == []


def test_the_same_code_shown_again_after_leaving_view_is_reported_again():
    debouncer = ScanDebouncer(hold_seconds=2.0)
    debouncer.offer([A], now=0.0)
    assert debouncer.offer([A], now=2.5) == [A]


def test_a_different_code_is_reported_at_once():
    debouncer = ScanDebouncer(hold_seconds=2.0)
    debouncer.offer([A], now=0.0)
    assert debouncer.offer([B], now=0.1) == [B]


def test_two_codes_in_view_together_are_reported_once_each():
    debouncer = ScanDebouncer(hold_seconds=2.0)
    reports = [debouncer.offer([A, B, A], now=t / 30) for t in range(60)]
    assert [code for report in reports for code in report] == [A, B]


def test_forgetting_lets_the_code_in_view_be_reported_again():
    debouncer = ScanDebouncer(hold_seconds=2.0)
    debouncer.offer([A], now=0.0)
    debouncer.forget()
    assert debouncer.offer([A], now=0.1) == [A]
