"""The camera's worker thread: it captures, reads the stream and reports by signals.

Capture and decoding block (a camera read waits for the next frame; a read takes
milliseconds), so they run on a ``QThread`` and only signals cross to the UI thread:
a preview image, a scan event, guidance for a located code, a status line. The worker
stops cooperatively: ``stop`` sets an event the loop checks between frames; the thread
is then joined, never terminated.

numpy, OpenCV and zxing-cpp load on the worker thread when it starts (the reader
factory imports them), not with this module: the window is on screen sooner.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from desktop.scan.reader import CameraUnavailable, FrameSource, ScanDebouncer
from desktop.ui.camera_overlay import Guidance

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from desktop.scan.burst import Reading

log = logging.getLogger(__name__)

SourceFactory = Callable[[int], FrameSource]

STARTING = "Starting the camera…"
READY = "Hold the QR code inside the square"
NO_CAMERA = "No camera found — type or scan the card number instead"
CAMERA_FAILED = "The camera could not be started — type or scan the card number instead"
CAMERA_LOST = "The camera stopped sending pictures — type or scan the card number instead"
CAMERA_OFF = "Camera off"


class FrameReader(Protocol):
    """Reads a stream frame by frame (``desktop.scan.burst.BurstReader``)."""

    def read(self, frame: NDArray[np.uint8]) -> Reading: ...

    def forget(self) -> None: ...


Accept = Callable[[str], bool]


def stream_reader(accept: Accept | None = None) -> Callable[[], FrameReader]:
    """A factory of the stream reader, imported (with OpenCV and zxing-cpp) on first
    use, on the worker thread. ``accept`` checks payloads found by repair or fusion."""

    def make() -> FrameReader:
        from desktop.scan.burst import BurstReader

        return BurstReader(accept) if accept is not None else BurstReader()

    return make


def to_qimage(frame_bgr: NDArray[np.uint8]) -> QImage:
    """A deep copy, so the image outlives the camera's buffer."""
    import numpy as np

    height, width = frame_bgr.shape[:2]
    frame = np.ascontiguousarray(frame_bgr)
    return QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_BGR888).copy()


class CameraWorker(QObject):
    """Pulls frames from a source, reads them as a stream, and reports; lives on its
    own thread.

    The source is opened inside ``run`` (opening a webcam can take a second), so a
    missing camera becomes a status message on the UI thread, not a frozen window.
    When reading a frame took longer than the camera's frame interval, the frames that
    arrived meanwhile are shown but not read (``keep_up``): the reader always works on
    the present, never on a backlog.

    Signals:
        frame_ready(QImage): a preview frame, at most ``max_fps`` a second, and only
            once the previous one was taken (``preview_taken``): a busy UI thread
            skips frames instead of queueing 2.7 MB images.
        code_read(str): a payload the reader accepts (ours) that just came into view
            (debounced).
        code_refused(str): any other code that just came into view (another
            merchant's card, a URL): the reader's ``accept`` said no, on this thread.
        guidance(Guidance): codes located but not read, with a hint; sent when there
            are some, and once more when they are gone; none while a card read
            lately is still in view (the debouncer's hold).
        status_changed(str): a line for the cashier (starting, ready, no camera…).
        camera_available(bool): True once the source opened; False when it failed,
            ended or was stopped.
        finished(): the loop has ended and the source is closed.
    """

    frame_ready = Signal(QImage)
    code_read = Signal(str)
    code_refused = Signal(str)
    guidance = Signal(object)
    status_changed = Signal(str)
    camera_available = Signal(bool)
    finished = Signal()

    def __init__(
        self,
        source_factory: SourceFactory,
        camera_index: int,
        reader_factory: Callable[[], FrameReader] | None = None,
        debouncer: ScanDebouncer | None = None,
        decode_every: int = 1,
        max_fps: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        keep_up: bool = True,
        camera_fps: float = 30.0,
    ) -> None:
        super().__init__()
        self._factory = source_factory
        self._index = camera_index
        self._reader_factory = reader_factory or stream_reader()
        self._debouncer = debouncer or ScanDebouncer()
        self._decode_every = max(1, decode_every)
        self._min_interval = 1.0 / max_fps
        self._clock = clock
        self._keep_up = keep_up
        self._frame_interval = 1.0 / camera_fps
        self._stop = threading.Event()
        self._rearm = threading.Event()
        self._preview_free = threading.Event()
        self._preview_free.set()
        self._guided = False
        self.frames_read = 0  # frames the reader saw (the others were skipped)

    def stop(self) -> None:
        """Ask the loop to end after the current frame; safe from any thread."""
        self._stop.set()

    def rearm(self) -> None:
        """Let the code in view be reported again; safe from any thread."""
        self._rearm.set()

    def preview_taken(self) -> None:
        """The last preview frame arrived: the next may be sent; safe from any thread."""
        self._preview_free.set()

    @Slot()
    def run(self) -> None:
        try:
            source = self._open()
            if source is not None:
                self._pump_then_close(source)
        finally:
            self.camera_available.emit(False)
            self.finished.emit()

    def _open(self) -> FrameSource | None:
        self.status_changed.emit(STARTING)
        try:
            return self._factory(self._index)
        except CameraUnavailable as exc:
            log.info("camera %s unavailable: %s", self._index, exc)
            self.status_changed.emit(NO_CAMERA)
        except Exception:  # a driver fault: the till carries on without the camera
            log.exception("camera %s failed to open", self._index)
            self.status_changed.emit(CAMERA_FAILED)
        return None

    def _pump_then_close(self, source: FrameSource) -> None:
        try:
            self._pump(source)
        except Exception:  # a driver or decoder fault ends the preview, not the till
            log.exception("camera %s failed while running", self._index)
            self.status_changed.emit(CAMERA_LOST)
        finally:
            source.close()

    def _pump(self, source: FrameSource) -> None:
        reader = self._reader_factory()  # READY means able to decode
        self.camera_available.emit(True)
        self.status_changed.emit(READY)
        count = skip = 0
        while not self._stop.is_set():
            started = time.monotonic()
            frame = source.read()
            if frame is None:
                self.status_changed.emit(CAMERA_LOST)
                return
            if self._preview_free.is_set():  # at most one preview frame in flight
                self._preview_free.clear()
                self.frame_ready.emit(to_qimage(frame))
            if skip:
                skip -= 1
            elif count % self._decode_every == 0:
                began = self._clock()
                self._read(reader, frame)
                if self._keep_up:  # frames that came while reading are not read
                    skip = int((self._clock() - began) / self._frame_interval)
            count += 1
            self._stop.wait(max(0.0, self._min_interval - (time.monotonic() - started)))

    def _read(self, reader: FrameReader, frame: NDArray[np.uint8]) -> None:
        if self._rearm.is_set():
            self._rearm.clear()
            self._debouncer.forget()
            reader.forget()
        reading = reader.read(frame)
        self.frames_read += 1
        now = self._clock()
        for code in self._debouncer.offer(reading.texts, now):
            (self.code_read if code in reading.codes else self.code_refused).emit(code)
        # No hint while a card read lately is in view: it is the card just opened.
        spots = () if self._debouncer.in_view(now) else tuple(reading.spots)
        if spots or self._guided:
            height, width = frame.shape[:2]
            self.guidance.emit(Guidance(width, height, spots))
            self._guided = bool(spots)


class CameraThread(QThread):
    """The worker's thread; it owns its worker and cleans up after itself.

    It is parented to the application, not to the view: a view destroyed without
    ``stop()`` (its window deleted, its Python object dropped) would otherwise destroy
    a running QThread, which aborts the process. The view's destruction only asks the
    worker to stop; the finished thread deletes itself, and when the application
    quits it joins any thread still running.
    """

    def __init__(self, worker: CameraWorker) -> None:
        app = QCoreApplication.instance()
        super().__init__(app)
        self.worker = worker
        worker.moveToThread(self)
        self.started.connect(worker.run)
        worker.finished.connect(self.quit)
        self.finished.connect(self.deleteLater)
        if app is not None:
            app.aboutToQuit.connect(self.join)

    @Slot()
    def request_stop(self) -> None:
        self.worker.stop()

    @Slot()
    def join(self) -> None:
        """Stop the worker and wait for the thread to end (the camera is released)."""
        self.worker.stop()
        self.quit()
        self.wait()
