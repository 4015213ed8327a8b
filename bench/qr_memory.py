"""Memory while the camera worker reads a stream for an hour (108,000 frames at 30 fps).

The frames go through the till's own path: ``CameraWorker`` with the stream reader
(``desktop.ui.camera.stream_reader``), driven on this thread as the tests drive it,
every frame read (no frames skipped), each one also sent as a preview image. The
stream cycles through recorded hard-set bursts — cards that are read, cards of
another merchant that never are (the reader keeps its most views and patches),
glared cards — and empty counters with QR look-alikes, so every bounded store of
the reader is filled and refilled.

Resident memory (VmRSS) is taken after a warm-up (the first 2 % of the frames) and at
the end; the growth between them is the figure. It runs in a child process of its own
(``python -m bench.qr_memory [--frames N]``), malloc tuned as the till tunes it; the
last line is JSON.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

HOUR_FRAMES = 108_000
Image = NDArray[np.uint8]
ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _stream(seed: int = 15) -> tuple[list[Image], Callable[[str], bool]]:
    """The recorded frames one cycle shows, and the payload check of the till's key."""
    from bench import qr_frames_hard as hard
    from common.card_number import make_card_number
    from common.qr import encode_qr, parse_qr

    key = random.Random(seed).randbytes(32)
    other = random.Random(seed + 1).randbytes(32)
    ours = [encode_qr(make_card_number(1_000_777, 900 + i), key) for i in range(2)]
    theirs = encode_qr(make_card_number(1_000_888, 3), other)
    bursts = [
        hard.burst("glare", ours[0], seed, 0, theirs),
        hard.burst("glare", theirs, seed, 1, theirs),  # never accepted: stores fill up
        hard.burst("small", ours[1], seed, 1, theirs),
        hard.burst("motion", theirs, seed, 0, theirs),
    ]
    empty = hard.empty_frames(4, seed, foreign=theirs, exposures=15)
    images: list[Image] = []
    for burst in bursts:
        images += [f.image for f in burst.frames] + [f.image for f in empty]

    def accept(text: str) -> bool:
        return isinstance(parse_qr(text, key), str)

    return images, accept


class _Cycle:
    """A FrameSource of recorded frames, round and round, ending after ``frames``."""

    def __init__(self, images: list[Image], frames: int, at: int, marks: dict[str, float]):
        self._images, self._frames, self._at, self._marks = images, frames, at, marks
        self.reads = 0

    def read(self) -> Image | None:
        if self.reads == self._at:
            self._marks["start_mb"] = _rss_mb()
        if self.reads >= self._frames:
            return None
        image = self._images[self.reads % len(self._images)]
        self.reads += 1
        return image

    def close(self) -> None:
        return None


def _child(frames: int) -> dict[str, object]:
    from desktop.malloc import tune_malloc

    tune_malloc()  # as desktop.app.main does first
    from PySide6.QtGui import QGuiApplication

    from desktop.ui.camera import CameraWorker, stream_reader

    app = QGuiApplication(sys.argv[:1])
    images, accept = _stream()
    marks: dict[str, float] = {}
    source = _Cycle(images, frames, max(len(images), frames // 50), marks)
    worker = CameraWorker(
        lambda _index: source,
        0,
        stream_reader(accept),
        max_fps=1e6,
        keep_up=False,
    )
    codes: list[str] = []
    worker.code_read.connect(codes.append)
    worker.frame_ready.connect(lambda _image: worker.preview_taken())
    started = time.perf_counter()
    worker.run()  # on this thread: signals delivered directly
    seconds = time.perf_counter() - started
    end = _rss_mb()
    del app
    return {
        "qr_stream_frames": source.reads,
        "qr_stream_frames_read": worker.frames_read,
        "qr_stream_rss_start_mb": round(marks.get("start_mb", end), 1),
        "qr_stream_rss_end_mb": round(end, 1),
        "qr_stream_rss_growth_mb": round(end - marks.get("start_mb", end), 1) + 0.0,  # no -0.0
        "qr_stream_cards_reported": len(codes),
        "qr_stream_ms_per_frame": round(seconds * 1000 / max(1, source.reads), 2),
    }


def run(frames: int = HOUR_FRAMES, timeout: float = 3600.0) -> dict[str, object]:
    """The figures from a child process; it is killed past ``timeout`` seconds."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.qr_memory", "--child", "--frames", str(frames)],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    figures: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=HOUR_FRAMES)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    figures = _child(args.frames) if args.child else run(args.frames)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
