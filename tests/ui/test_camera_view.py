"""The camera worker and preview, fed generated QR frames instead of a webcam."""

import random
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray
from PySide6.QtWidgets import QLabel

from common.card_number import make_card_number
from common.qr import encode_qr, parse_qr
from desktop.scan import frames
from desktop.scan.frames import Pose
from desktop.scan.reader import CameraUnavailable, FrameSource
from desktop.ui.camera import (
    CAMERA_FAILED,
    CAMERA_LOST,
    CAMERA_OFF,
    NO_CAMERA,
    READY,
    STARTING,
    CameraView,
    CameraWorker,
)
from tests.support.camera import GeneratedFrames, serving

Image = NDArray[np.uint8]
KEY = random.Random(77).randbytes(32)
A, B = (encode_qr(make_card_number(1_000_456, serial), KEY) for serial in (1, 2))
FAST = 1000.0  # frames a second: generated frames need no pacing


class UnpluggedMidway(GeneratedFrames):
    """A camera whose driver raises once the first frames are out."""

    def read(self) -> Image | None:
        if self.reads >= 3:
            raise OSError("device disconnected")
        return super().read()


def no_camera(index: int) -> FrameSource:
    raise CameraUnavailable(f"no camera at index {index}")


def broken_driver(index: int) -> FrameSource:
    raise RuntimeError("driver fault")


@pytest.fixture(scope="module")
def held_a() -> list[Image]:
    """Card A held up for 40 frames: it sways, blurs, and is missed now and then."""
    takes = [
        frames.render(A, 1, frames.VGA, Pose(side=0.5)),
        frames.render(A, 2, frames.VGA, Pose(side=0.45, angle_deg=20), ("motion",)),
        frames.render(A, 3, frames.VGA, Pose(side=0.4, tilt=0.1), ("noise",)),
        frames.render(None, 4, frames.VGA),  # the decoder misses it in this one
    ]
    return [takes[i % len(takes)].image for i in range(40)]


@pytest.fixture(scope="module")
def held_b() -> list[Image]:
    return [frames.render(B, 5, frames.VGA, Pose(side=0.5, angle_deg=-10)).image] * 10


@pytest.fixture
def view(qtbot) -> Callable[..., CameraView]:
    def make(factory: Callable[[int], FrameSource] | None) -> CameraView:
        widget = CameraView(factory, max_fps=FAST)
        qtbot.addWidget(widget)  # closed at teardown: closeEvent stops the camera
        widget.show()
        return widget

    return make


def run_to_the_end(qtbot, widget: CameraView) -> list[str]:
    codes: list[str] = []
    widget.code_read.connect(codes.append)
    widget.start(0)
    qtbot.waitUntil(lambda: widget.status_text == CAMERA_LOST)
    return codes


def test_a_code_held_in_view_for_many_frames_is_read_once(qtbot, view, held_a):
    assert run_to_the_end(qtbot, view(serving(GeneratedFrames(held_a)))) == [A]


def test_a_new_code_after_the_first_is_read_at_once(qtbot, view, held_a, held_b):
    source = GeneratedFrames(held_a[:8] + held_b)
    assert run_to_the_end(qtbot, view(serving(source))) == [A, B]


def test_the_worker_reads_when_decoding_every_other_frame(held_a):
    source = GeneratedFrames(held_a)
    worker = CameraWorker(serving(source), 0, decode_every=2, max_fps=FAST)
    codes: list[str] = []
    statuses: list[str] = []
    previews: list[object] = []
    worker.code_read.connect(codes.append)
    worker.status_changed.connect(statuses.append)
    worker.frame_ready.connect(lambda image: (previews.append(image), worker.preview_taken()))
    worker.run()  # not moved to a thread: runs here, signals delivered directly
    assert codes == [A]
    assert statuses == [STARTING, READY, CAMERA_LOST]
    assert len(previews) == len(held_a)
    assert source.closed


def test_a_preview_not_yet_taken_holds_back_the_next_but_not_decoding(held_a):
    """A UI thread that falls behind gets frames skipped, not queued (each is 2.7 MB
    at 720p); codes are still read from every frame."""
    source = GeneratedFrames(held_a)
    worker = CameraWorker(serving(source), 0, max_fps=FAST)
    codes: list[str] = []
    previews: list[object] = []
    worker.code_read.connect(codes.append)
    worker.frame_ready.connect(previews.append)  # never taken
    worker.run()
    assert len(previews) == 1
    assert codes == [A]
    assert source.reads == len(held_a)


def test_the_preview_shows_the_frames_with_the_guide_and_flashes_on_a_read(qtbot, view, held_a):
    widget = view(serving(GeneratedFrames(held_a[:1], repeat=True)))
    with qtbot.waitSignal(widget.code_read):
        widget.start(0)
    assert widget.is_flashing
    assert widget.has_camera
    assert not widget.grab().isNull()
    qtbot.waitUntil(lambda: not widget.is_flashing)


def test_no_camera_shows_a_clear_message_and_nothing_crashes(qtbot, view):
    widget = view(no_camera)
    widget.start(0)
    qtbot.waitUntil(lambda: widget.status_text == NO_CAMERA)
    assert not widget.has_camera
    assert widget.findChild(QLabel).isVisible()


def test_a_camera_index_with_no_device_behind_it_means_no_camera(qtbot, view):
    widget = view(None)  # the real OpenCV camera
    widget.start(99)
    qtbot.waitUntil(lambda: widget.status_text == NO_CAMERA)
    assert not widget.has_camera


def test_a_camera_driver_fault_is_a_message_too(qtbot, view):
    widget = view(broken_driver)
    widget.start(0)
    qtbot.waitUntil(lambda: widget.status_text == CAMERA_FAILED)
    assert not widget.has_camera


def test_a_camera_that_fails_while_running_shows_a_message_and_is_released(qtbot, view, held_a):
    source = UnpluggedMidway(held_a, repeat=True)
    widget = view(serving(source))
    widget.start(0)
    qtbot.waitUntil(lambda: widget.status_text == CAMERA_LOST)
    assert source.closed
    assert not widget.has_camera


def test_stop_ends_the_worker_and_releases_the_camera_before_returning(qtbot, view, held_a):
    source = GeneratedFrames(held_a, repeat=True)
    widget = view(serving(source))
    widget.start(0)
    qtbot.waitUntil(lambda: widget.has_camera and source.reads > 5)
    widget.stop()
    assert source.closed
    assert not widget.has_camera
    assert widget.status_text == CAMERA_OFF


def test_closing_the_view_stops_the_camera(qtbot, view, held_a):
    source = GeneratedFrames(held_a, repeat=True)
    widget = view(serving(source))
    widget.start(0)
    qtbot.waitUntil(lambda: source.reads > 0)
    widget.close()
    assert source.closed


def test_starting_again_replaces_the_running_camera(qtbot, view, held_a, held_b):
    first, second = GeneratedFrames(held_a, repeat=True), GeneratedFrames(held_b)
    sources = iter([first, second])
    widget = view(lambda _index: next(sources))
    widget.start(0)
    qtbot.waitUntil(lambda: first.reads > 0)
    codes = run_to_the_end(qtbot, widget)
    assert first.closed
    assert codes == [B]


FOREIGN = encode_qr(make_card_number(1_000_888, 1), random.Random(78).randbytes(32))


def colour_pixels(widget: CameraView, colour: object) -> int:
    image = widget.grab().toImage()
    wanted = colour.rgb()  # type: ignore[attr-defined]
    return sum(
        image.pixel(x, y) == wanted
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
    )


@pytest.mark.parametrize(
    ("card", "refused"), [(A, False), (FOREIGN, True)], ids=["ours", "another merchant's"]
)
def test_a_refused_code_flashes_red_without_the_beep_of_a_read(qtbot, monkeypatch, card, refused):
    """The beep tells the cashier the card is open; for another merchant's card the
    till says it is not, so the guide flashes red and stays silent."""
    from desktop.ui import camera
    from desktop.ui.camera_overlay import READ_COLOUR, REFUSED_COLOUR

    beeps: list[int] = []
    monkeypatch.setattr(camera.QApplication, "beep", lambda: beeps.append(1))
    shot = frames.render(card, 9, frames.VGA, Pose(side=0.5)).image
    widget = CameraView(
        serving(GeneratedFrames([shot], repeat=True)),
        accept=lambda text: isinstance(parse_qr(text, KEY), str),
        max_fps=FAST,
    )
    qtbot.addWidget(widget)
    widget.show()
    with qtbot.waitSignal(widget.code_read) as read:
        widget.start(0)
    assert read.args == [card]  # the till gets it either way, to open it or say whose
    assert widget.is_flashing
    assert widget.flashes_refused is refused
    assert beeps == ([] if refused else [1])
    flash, other = (REFUSED_COLOUR, READ_COLOUR) if refused else (READ_COLOUR, REFUSED_COLOUR)
    assert colour_pixels(widget, flash) > 50
    assert colour_pixels(widget, other) == 0
    widget.stop()
