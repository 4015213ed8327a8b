"""The live camera preview and the worker thread that captures and decodes.

Capture and decoding block (a camera read waits for the next frame; a decode takes
milliseconds), so they run on a ``QThread`` and only signals cross to the UI thread:
a preview image, a scan event, a status line. The worker stops cooperatively: ``stop``
sets an event the loop checks between frames; the thread is then joined, never
terminated.

numpy, OpenCV and zxing-cpp load on the worker thread when it starts (the decoder
factory imports them), not with this module: the window is on screen sooner.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRect,
    QSize,
    Qt,
    QThread,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent, QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from desktop.scan.reader import CameraUnavailable, FrameSource, OpenCvCamera, ScanDebouncer

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from desktop.scan.decoders import Decoder

log = logging.getLogger(__name__)

SourceFactory = Callable[[int], FrameSource]

STARTING = "Starting the camera…"
READY = "Hold the QR code inside the square"
NO_CAMERA = "No camera found — type or scan the card number instead"
CAMERA_FAILED = "The camera could not be started — type or scan the card number instead"
CAMERA_LOST = "The camera stopped sending pictures — type or scan the card number instead"
CAMERA_OFF = "Camera off"


def best_decoder() -> Decoder:
    """The chosen decoder, imported (with OpenCV and zxing-cpp) on first use."""
    from desktop.scan.decoders import best_decoder as chosen

    return chosen()


def to_qimage(frame_bgr: NDArray[np.uint8]) -> QImage:
    """A deep copy, so the image outlives the camera's buffer."""
    import numpy as np

    height, width = frame_bgr.shape[:2]
    frame = np.ascontiguousarray(frame_bgr)
    return QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_BGR888).copy()


class CameraWorker(QObject):
    """Pulls frames from a source, decodes them, and reports; lives on its own thread.

    The source is opened inside ``run`` (opening a webcam can take a second), so a
    missing camera becomes a status message on the UI thread, not a frozen window.

    Signals:
        frame_ready(QImage): a preview frame, at most ``max_fps`` a second, and only
            once the previous one was taken (``preview_taken``): a busy UI thread
            skips frames instead of queueing 2.7 MB images.
        code_read(str): a QR payload that just came into view (debounced).
        status_changed(str): a line for the cashier (starting, ready, no camera…).
        camera_available(bool): True once the source opened; False when it failed,
            ended or was stopped.
        finished(): the loop has ended and the source is closed.
    """

    frame_ready = Signal(QImage)
    code_read = Signal(str)
    status_changed = Signal(str)
    camera_available = Signal(bool)
    finished = Signal()

    def __init__(
        self,
        source_factory: SourceFactory,
        camera_index: int,
        decoder_factory: Callable[[], Decoder] = best_decoder,
        debouncer: ScanDebouncer | None = None,
        decode_every: int = 1,
        max_fps: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._factory = source_factory
        self._index = camera_index
        self._decoder_factory = decoder_factory
        self._debouncer = debouncer or ScanDebouncer()
        self._decode_every = max(1, decode_every)
        self._min_interval = 1.0 / max_fps
        self._clock = clock
        self._stop = threading.Event()
        self._rearm = threading.Event()
        self._preview_free = threading.Event()
        self._preview_free.set()

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
        decoder = self._decoder_factory()  # READY means able to decode
        self.camera_available.emit(True)
        self.status_changed.emit(READY)
        count = 0
        while not self._stop.is_set():
            started = time.monotonic()
            frame = source.read()
            if frame is None:
                self.status_changed.emit(CAMERA_LOST)
                return
            if self._preview_free.is_set():  # at most one preview frame in flight
                self._preview_free.clear()
                self.frame_ready.emit(to_qimage(frame))
            if count % self._decode_every == 0:
                self._decode(decoder, frame)
            count += 1
            self._stop.wait(max(0.0, self._min_interval - (time.monotonic() - started)))

    def _decode(self, decoder: Decoder, frame: NDArray[np.uint8]) -> None:
        if self._rearm.is_set():
            self._rearm.clear()
            self._debouncer.forget()
        for code in self._debouncer.offer(decoder.decode(frame), self._clock()):
            self.code_read.emit(code)


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


class CameraView(QWidget):
    """The preview, scaled to fit, with a square framing guide; it flashes green and
    beeps on a read. Without a camera it shows why, in words, and stays usable.

    Signals:
        code_read(str): a QR payload the cashier just presented.
        status_changed(str): the camera's state as a line of text.
    """

    code_read = Signal(str)
    status_changed = Signal(str)

    FLASH_MS = 300
    GUIDE_SHARE = 0.6  # of the preview's shorter side

    def __init__(
        self,
        source_factory: SourceFactory | None = None,
        parent: QWidget | None = None,
        *,
        decoder_factory: Callable[[], Decoder] = best_decoder,
        hold_seconds: float = 2.0,
        max_fps: float = 30.0,
    ) -> None:
        super().__init__(parent)
        self._factory: SourceFactory = source_factory or OpenCvCamera
        self._decoder_factory = decoder_factory
        self._hold_seconds = hold_seconds
        self._max_fps = max_fps
        self._thread: CameraThread | None = None
        self._worker: CameraWorker | None = None
        self._image: QImage | None = None
        self._has_camera = False
        self._flash = QTimer(self)
        self._flash.setSingleShot(True)
        self._flash.setInterval(self.FLASH_MS)
        self._flash.timeout.connect(self.update)
        self._message = QLabel(CAMERA_OFF, self)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setStyleSheet("color: white; font-size: 16px;")
        layout = QVBoxLayout(self)
        layout.addWidget(self._message)
        self.setMinimumSize(320, 240)

    @property
    def has_camera(self) -> bool:
        """True while a camera is open and delivering frames."""
        return self._has_camera

    @property
    def status_text(self) -> str:
        return self._message.text()

    @property
    def is_flashing(self) -> bool:
        return self._flash.isActive()

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def start(self, camera_index: int) -> None:
        """Open camera ``camera_index`` on a worker thread (any running one stops)."""
        self.stop()
        worker = CameraWorker(
            self._factory,
            camera_index,
            self._decoder_factory,
            ScanDebouncer(self._hold_seconds),
            max_fps=self._max_fps,
        )
        thread = CameraThread(worker)
        self.destroyed.connect(thread.request_stop)
        worker.frame_ready.connect(self._on_frame)
        worker.code_read.connect(self._on_code)
        worker.status_changed.connect(self._on_status)
        worker.camera_available.connect(self._on_available)
        self._worker, self._thread = worker, thread
        thread.start()

    def stop(self) -> None:
        """Stop the worker and join its thread; returns once the camera is released."""
        if self._thread is None:
            return
        if Shiboken.isValid(self._thread):  # else it ended and deleted itself
            self._thread.join()
        self._worker = self._thread = None
        self._has_camera = False
        self._image = None
        self._set_message(CAMERA_OFF)

    def rearm(self) -> None:
        """Let the card still in view open again (e.g. after its card view closed)."""
        if self._worker is not None:
            self._worker.rearm()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        super().closeEvent(event)

    def _current(self) -> bool:
        """Signals still queued from a stopped worker are dropped."""
        return self._worker is not None and self.sender() is self._worker

    @Slot(QImage)
    def _on_frame(self, image: QImage) -> None:
        if not self._current():
            return
        assert self._worker is not None
        self._worker.preview_taken()
        self._image = image
        self._message.hide()
        self.update()

    @Slot(str)
    def _on_code(self, payload: str) -> None:
        if not self._current():
            return
        self._flash.start()
        QApplication.beep()
        self.update()
        self.code_read.emit(payload)

    @Slot(str)
    def _on_status(self, text: str) -> None:
        if self._current():
            self._set_message(text)

    @Slot(bool)
    def _on_available(self, available: bool) -> None:
        if not self._current():
            return
        self._has_camera = available
        if not available:
            self._image = None
            self._message.show()
            self.update()

    def _set_message(self, text: str) -> None:
        self._message.setText(text)
        self.status_changed.emit(text)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._image is not None:
            target = self._fitted(self._image.size())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self._image)
            self._paint_guide(painter, target)
        painter.end()

    def _fitted(self, image_size: QSize) -> QRect:
        scaled = image_size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, scaled.width(), scaled.height())
        target.moveCenter(self.rect().center())
        return target

    def _paint_guide(self, painter: QPainter, target: QRect) -> None:
        """Dim what lies outside the square; draw its corners (green while flashing)."""
        side = int(min(target.width(), target.height()) * self.GUIDE_SHARE)
        guide = QRect(0, 0, side, side)
        guide.moveCenter(target.center())
        shade = QColor(0, 0, 0, 110)
        painter.fillRect(
            target.left(), target.top(), target.width(), guide.top() - target.top(), shade
        )
        painter.fillRect(
            target.left(),
            guide.bottom() + 1,
            target.width(),
            target.bottom() - guide.bottom(),
            shade,
        )
        painter.fillRect(target.left(), guide.top(), guide.left() - target.left(), side, shade)
        painter.fillRect(
            guide.right() + 1, guide.top(), target.right() - guide.right(), side, shade
        )
        colour = QColor(60, 220, 110) if self.is_flashing else QColor(255, 255, 255, 230)
        if self.is_flashing:
            painter.fillRect(guide, QColor(60, 220, 110, 70))
        painter.setPen(QPen(colour, 4))
        arm = side // 5
        for x, y, dx, dy in (
            (guide.left(), guide.top(), 1, 1),
            (guide.right(), guide.top(), -1, 1),
            (guide.left(), guide.bottom(), 1, -1),
            (guide.right(), guide.bottom(), -1, -1),
        ):
            painter.drawLine(x, y, x + dx * arm, y)
            painter.drawLine(x, y, x, y + dy * arm)
