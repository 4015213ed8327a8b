"""Recorded streams through the real camera worker (no webcam here): what the stream
reader keeps stays bounded by count however long it reads, and a glared card shown
to a camera that delivers frames at its own pace is read on the worker's thread while
the UI thread goes on turning."""

import random
import time

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from bench import qr_frames_hard as hard
from common.card_number import make_card_number
from common.qr import encode_qr, parse_qr
from desktop.scan.burst import BurstReader
from desktop.ui.camera import CameraThread, CameraWorker

KEY = random.Random(1517).randbytes(32)
CARD = encode_qr(make_card_number(1_000_517, 5), KEY)
FOREIGN = encode_qr(make_card_number(1_000_888, 6), random.Random(97).randbytes(32))
Image = NDArray[np.uint8]


def ours(text: str) -> bool:
    return isinstance(parse_qr(text, KEY), str)


class Paced:
    """A camera: ``read`` blocks until the next frame is due (``fps``), looping over
    the recorded frames until closed."""

    def __init__(self, images: list[Image], fps: float = 30.0) -> None:
        self._images, self._interval = images, 1.0 / fps
        self._due = time.monotonic()
        self.reads = 0
        self.closed = False

    def read(self) -> Image | None:
        if self.closed:
            return None
        self._due += self._interval
        time.sleep(max(0.0, self._due - time.monotonic()))
        image = self._images[self.reads % len(self._images)]
        self.reads += 1
        return image

    def close(self) -> None:
        self.closed = True


class Counted:
    """A FrameSource of ``count`` frames cycled from a recording, then None."""

    def __init__(self, images: list[Image], count: int) -> None:
        self._images, self._count, self.reads = images, count, 0

    def read(self) -> Image | None:
        if self.reads >= self._count:
            return None
        self.reads += 1
        return self._images[(self.reads - 1) % len(self._images)]

    def close(self) -> None:
        return None


@pytest.fixture(scope="module")
def glare() -> hard.Burst:
    """640x480, glare over part of the code in every frame: no single frame reads."""
    return hard.burst("glare", CARD, 15, 9, FOREIGN)


def spoiled(frame: hard.HardFrame) -> Image:
    """The frame with the middle of its code blacked out (a thumb over it): the code is
    still located, never read."""
    assert frame.quad is not None
    centre = frame.quad.mean(axis=0)
    middle = centre + (frame.quad - centre) * 0.4
    image = frame.image.copy()
    cv2.fillConvexPoly(image, middle.astype(np.int32), (0, 0, 0))
    return image


@pytest.fixture(scope="module")
def thumbed() -> list[Image]:
    return [spoiled(f) for f in hard.burst("baseline", CARD, 15, 1, FOREIGN).frames]


def test_what_the_reader_keeps_is_bounded_by_count_however_long_it_reads(
    qtbot: QtBot, thumbed: list[Image]
) -> None:
    """A card located in every frame and never read, with an empty counter between
    showings: 20 times the views the reader may keep go by, and it keeps no more."""
    counter = [f.image for f in hard.empty_frames(2, seed=4, size=(640, 480), exposures=5)]
    readers: list[BurstReader] = []

    def make() -> BurstReader:
        readers.append(BurstReader(ours, memory=6))
        return readers[-1]

    source = Counted(thumbed + counter, count=6 * 20)
    worker = CameraWorker(lambda _index: source, 0, make, max_fps=1e6, keep_up=False)
    worker.frame_ready.connect(lambda _image: worker.preview_taken())
    codes: list[str] = []
    worker.code_read.connect(codes.append)
    worker.run()
    assert codes == []
    assert worker.frames_read == source.reads == 120
    views, patch_frames, _dull = readers[0].held()
    assert views == 6
    assert patch_frames == 5


def test_a_glared_card_at_the_cameras_pace_is_read_on_the_worker_thread(
    qtbot: QtBot, glare: hard.Burst
) -> None:
    """Frames come at 30 fps whether or not the worker is ready (it skips those that
    came while it was reading); the UI thread's timer keeps ticking meanwhile."""
    one_frame = BurstReader(ours, memory=1, looks=4)
    assert not any(one_frame.read(f.image).codes for f in glare.frames)
    source = Paced([f.image for f in glare.frames])
    worker = CameraWorker(lambda _index: source, 0, lambda: BurstReader(ours))
    thread = CameraThread(worker)
    codes: list[str] = []
    worker.code_read.connect(codes.append)
    worker.frame_ready.connect(lambda _image: worker.preview_taken())
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(worker.frames_read))
    timer.start()
    try:
        with qtbot.waitSignal(worker.code_read, timeout=30_000):
            thread.start()
    finally:
        timer.stop()
        thread.join()
    assert codes[:1] == [CARD]
    assert set(codes) == {CARD}
    assert len(set(ticks)) >= 2  # the UI thread saw the worker's count change
