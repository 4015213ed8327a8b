"""The recorded camera (``LOYALTY_CAMERA=file:…``): a burst saved as .npz or as a
folder of PNGs, played in a loop at the camera's pace through the real worker, so the
window's outline and hint can be seen and tested without a webcam."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from pytestqt.qtbot import QtBot

from desktop.scan.reader import CameraUnavailable
from desktop.scan.recorded import RecordedCamera, load_frames, source_from_env

Image = NDArray[np.uint8]


def shades(count: int) -> list[Image]:
    return [np.full((48, 64, 3), 10 * i, np.uint8) for i in range(count)]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_frames_are_played_in_a_loop_one_per_frame_interval() -> None:
    clock = FakeClock()
    camera = RecordedCamera(shades(3), fps=10, clock=clock, sleep=clock.sleep)
    played = [camera.read() for _ in range(7)]
    assert [int(f[0, 0, 0]) for f in played if f is not None] == [0, 10, 20, 0, 10, 20, 0]
    assert clock.slept == [0.1] * 6  # the first at once, then one each 1/10 s


def test_a_reader_that_fell_behind_gets_frames_at_once_not_a_backlog_of_waits() -> None:
    clock = FakeClock()
    camera = RecordedCamera(shades(3), fps=10, clock=clock, sleep=clock.sleep)
    camera.read()
    clock.now += 1.0  # the reader was busy for ten frame intervals
    camera.read()
    camera.read()
    assert clock.slept == [0.1]  # caught up: the next frame is due one interval later


def test_a_limited_number_of_loops_then_the_stream_ends() -> None:
    clock = FakeClock()
    camera = RecordedCamera(shades(2), loops=2, clock=clock, sleep=clock.sleep)
    assert [camera.read() is not None for _ in range(5)] == [True] * 4 + [False]


def test_a_frame_handed_out_is_the_callers_own() -> None:
    frames = shades(1)
    camera = RecordedCamera(frames, loops=1)
    frame = camera.read()
    assert frame is not None
    frame[:] = 255
    assert int(frames[0][0, 0, 0]) == 0


def test_npz_and_a_folder_of_pngs_load_the_same_frames(tmp_path: Path) -> None:
    frames = shades(3)
    np.savez_compressed(tmp_path / "burst.npz", frames=np.stack(frames))
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, frame in enumerate(reversed(frames)):  # written in another order than named
        cv2.imwrite(str(folder / f"{2 - i:03d}.png"), frame)
    from_npz, from_pngs = load_frames(tmp_path / "burst.npz"), load_frames(folder)
    assert [int(f[0, 0, 0]) for f in from_npz] == [0, 10, 20]
    assert [int(f[0, 0, 0]) for f in from_pngs] == [0, 10, 20]


@pytest.mark.parametrize("name", ["missing.npz", "empty", "notes.txt"])
def test_nothing_to_play_is_no_camera(tmp_path: Path, name: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not frames")
    with pytest.raises(CameraUnavailable):
        load_frames(tmp_path / name)


def test_the_environment_chooses_a_recording_or_the_webcams(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "b.npz", frames=np.stack(shades(2)))
    assert source_from_env({}) is None
    assert source_from_env({"LOYALTY_CAMERA": " "}) is None
    factory = source_from_env({"LOYALTY_CAMERA": f"file:{tmp_path / 'b.npz'}"})
    assert factory is not None
    camera = factory(0)
    assert camera.read() is not None
    with pytest.raises(ValueError, match="file:PATH"):
        source_from_env({"LOYALTY_CAMERA": "rtsp://camera"})


def test_a_recorded_glared_burst_through_the_real_view_brings_outline_and_hint(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The first frames of a glared card (too glared to read) are saved, named in the
    environment and played through CameraView's real worker: the located code gets its
    outline and hint while the UI thread keeps turning, as in the window."""
    import random

    from bench import qr_frames_hard as hard
    from common.card_number import make_card_number
    from common.qr import encode_qr, parse_qr
    from desktop.scan.burst import CLOSER, HOLD_STILL, TILT
    from desktop.ui.camera import CameraView

    key = random.Random(1215).randbytes(32)
    card = encode_qr(make_card_number(1_000_615, 3), key)
    foreign = encode_qr(make_card_number(1_000_888, 2), random.Random(5).randbytes(32))
    burst = hard.burst("glare", card, 15, 0, foreign)
    path = tmp_path / "glare.npz"
    np.savez_compressed(path, frames=np.stack([f.image for f in burst.frames[:3]]))
    view = CameraView(
        source_from_env({"LOYALTY_CAMERA": f"file:{path}"}),
        accept=lambda text: isinstance(parse_qr(text, key), str),
    )
    qtbot.addWidget(view)
    view.resize(640, 400)
    view.show()
    read: list[str] = []
    view.code_read.connect(read.append)
    ticks: list[str] = []
    view.start(0)
    try:

        def hinted() -> bool:
            ticks.append(view.hint)
            return bool(view.hint)

        qtbot.waitUntil(hinted, timeout=20_000)
    finally:
        view.stop()
    assert view.has_camera is False
    assert set(ticks) - {""} <= {TILT, HOLD_STILL, CLOSER}
    assert len(ticks) > 1  # the UI thread turned while the worker read
    assert read == []
