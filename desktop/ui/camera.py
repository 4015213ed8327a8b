"""The live camera preview: the worker's frames, the framing guide, the outline and
hint for a located code, and the pane shown when there is no camera.

The worker and its thread are in ``desktop.ui.camera_worker``; their names are
re-exported here, where the window and the tests look for them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QContextMenuEvent, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QApplication, QLabel, QToolButton, QVBoxLayout, QWidget
from shiboken6 import Shiboken

from desktop.scan.reader import CameraSettings, OpenCvCamera, ScanDebouncer
from desktop.ui.camera_overlay import Guidance, paint_guidance, paint_guide
from desktop.ui.camera_pane import InMemory, NoCameraPane, SettingsMemory, controls_menu
from desktop.ui.camera_worker import (
    CAMERA_FAILED,
    CAMERA_LOST,
    CAMERA_OFF,
    NO_CAMERA,
    READY,
    STARTING,
    Accept,
    CameraThread,
    CameraWorker,
    FrameReader,
    SourceFactory,
    stream_reader,
    to_qimage,
)

__all__ = [
    "CAMERA_FAILED",
    "CAMERA_LOST",
    "CAMERA_OFF",
    "NO_CAMERA",
    "READY",
    "STARTING",
    "CameraThread",
    "CameraView",
    "CameraWorker",
    "FrameReader",
    "stream_reader",
    "to_qimage",
]


class CameraView(QWidget):
    """The preview, scaled to fit, with a square framing guide; it flashes green and
    beeps on a read of one of ours, red and silent on a code the reader refused
    (``accept``, asked on the worker's thread; another merchant's card: a beep would
    tell the cashier all is well while the till says it is not), and outlines a code
    it located but could not read, with a hint. Without a camera it says why, and shows
    how else to find a card and the last customers opened. Right-click (or the ⚙
    button) offers the camera's controls, remembered per camera.

    Signals:
        code_read(str): a QR payload the cashier just presented, refused or not.
        status_changed(str): the camera's state as a line of text.
        customer_chosen(str): a card number picked from the last customers.
    """

    code_read = Signal(str)
    status_changed = Signal(str)
    customer_chosen = Signal(str)

    FLASH_MS = 300
    HINT_HOLD_MS = 800  # a hint stays this long after the last frame that located the code
    GUIDE_SHARE = 0.6  # of the preview's shorter side

    def __init__(
        self,
        source_factory: SourceFactory | None = None,
        parent: QWidget | None = None,
        *,
        reader_factory: Callable[[], FrameReader] | None = None,
        accept: Accept | None = None,
        memory: SettingsMemory | None = None,
        hold_seconds: float = 2.0,
        max_fps: float = 30.0,
        keep_up: bool = True,
    ) -> None:
        super().__init__(parent)
        self._factory = source_factory
        self._reader_factory = reader_factory or stream_reader(accept)
        self._refused = False  # the flash is for a code the reader refused
        self._memory = memory or InMemory()
        self._hold_seconds = hold_seconds
        self._max_fps = max_fps
        self._keep_up = keep_up
        self._thread: CameraThread | None = None
        self._worker: CameraWorker | None = None
        self._image: QImage | None = None
        self._guidance: Guidance | None = None
        self._has_camera = False
        self._index: int | None = None
        self._flash = QTimer(self)
        self._flash.setSingleShot(True)
        self._flash.setInterval(self.FLASH_MS)
        self._flash.timeout.connect(self.update)
        self._read_at = -math.inf  # when the last code was read (monotonic seconds)
        self._unguide = QTimer(self)  # located in one frame of three: keep it readable
        self._unguide.setSingleShot(True)
        self._unguide.setInterval(self.HINT_HOLD_MS)
        self._unguide.timeout.connect(self._clear_guidance)
        self._message = QLabel(CAMERA_OFF, self)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setStyleSheet("color: white; font-size: 16px;")
        self.pane = NoCameraPane(self)
        self.pane.customer_chosen.connect(self.customer_chosen)
        self.controls = QToolButton(self)
        self.controls.setText("⚙")
        self.controls.setToolTip("Camera controls")
        self.controls.clicked.connect(lambda: self._show_controls(self.controls.pos()))
        self.controls.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self._message)
        layout.addWidget(self.pane, 1)
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

    @property
    def flashes_refused(self) -> bool:
        """Whether the flash on screen is the red one of a refused code."""
        return self.is_flashing and self._refused

    @property
    def hint(self) -> str:
        """The hint on screen for a located code not read yet ("" when none)."""
        return self._guidance.hint if self._guidance is not None else ""

    @property
    def outlined(self) -> bool:
        """Whether the located code's outline is on screen (not only its held hint)."""
        return self._guidance is not None and not self._unguide.isActive()

    @property
    def settings(self) -> CameraSettings:
        return self._memory.recall(self._index) if self._index is not None else CameraSettings()

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def add_customer(self, name: str, card_number: str) -> None:
        """A card was opened: it goes on top of the last customers."""
        self.pane.add_customer(name, card_number)

    def start(self, camera_index: int) -> None:
        """Open camera ``camera_index`` on a worker thread (any running one stops)."""
        self.stop()
        self._index = camera_index
        worker = CameraWorker(
            self._source_factory(self._memory.recall(camera_index)),
            camera_index,
            self._reader_factory,
            ScanDebouncer(self._hold_seconds),
            max_fps=self._max_fps,
            keep_up=self._keep_up,
        )
        thread = CameraThread(worker)
        self.destroyed.connect(thread.request_stop)
        worker.frame_ready.connect(self._on_frame)
        worker.code_read.connect(self._on_code)
        worker.code_refused.connect(self._on_refused)
        worker.guidance.connect(self._on_guidance)
        worker.status_changed.connect(self._on_status)
        worker.camera_available.connect(self._on_available)
        self._worker, self._thread = worker, thread
        thread.start()

    def _source_factory(self, settings: CameraSettings) -> SourceFactory:
        if self._factory is not None:
            return self._factory
        return lambda index: OpenCvCamera(index, settings)

    def use_settings(self, settings: CameraSettings) -> None:
        """Remember the controls for this camera and reopen it with them."""
        if self._index is None:
            return
        self._memory.remember(self._index, settings)
        self.start(self._index)

    def stop(self) -> None:
        """Stop the worker and join its thread; returns once the camera is released."""
        if self._thread is None:
            self._show_pane(True)
            return
        if Shiboken.isValid(self._thread):  # else it ended and deleted itself
            self._thread.join()
        self._worker = self._thread = None
        self._has_camera = False
        self._image = None
        self._guidance = None
        self._set_message(CAMERA_OFF)
        self._show_pane(True)

    def rearm(self) -> None:
        """Let the card still in view open again (e.g. after its card view closed)."""
        if self._worker is not None:
            self._worker.rearm()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        super().closeEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if self._has_camera:
            self._show_controls(event.pos())

    def _show_controls(self, where: QPoint) -> None:
        menu = controls_menu(self, self.settings, self.use_settings)
        menu.popup(self.mapToGlobal(where))

    def _show_pane(self, no_camera: bool) -> None:
        self.pane.setVisible(no_camera)
        self.controls.setVisible(not no_camera)
        self._message.setVisible(no_camera or self._image is None)

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
        self._show_read(payload, refused=False)

    @Slot(str)
    def _on_refused(self, payload: str) -> None:
        self._show_read(payload, refused=True)

    def _show_read(self, payload: str, refused: bool) -> None:
        """Either way the till gets the code: to open its card, or to say whose it is not."""
        if not self._current():
            return
        self._guidance = None
        self._read_at = time.monotonic()
        self._refused = refused
        self._flash.start()
        if not refused:
            QApplication.beep()
        self.update()
        self.code_read.emit(payload)

    @Slot(object)
    def _on_guidance(self, guidance: Guidance) -> None:
        """A located code is outlined at once; its hint stays for ``HINT_HOLD_MS``
        after the last frame that located it (a hand-held card is located in some
        frames only: a hint shown for one frame in three flickers too fast to read),
        its outline does not (the card has moved on). For ``hold_seconds`` after a
        read there is no hint: the card still in view is the one just opened."""
        if not self._current():
            return
        if guidance.spots and time.monotonic() - self._read_at < self._hold_seconds:
            return  # the card just read, still in view: its card is open, no hint
        if guidance.spots:
            self._unguide.stop()
            self._guidance = guidance
            self.update()
        elif self._guidance is not None and not self._unguide.isActive():
            self._unguide.start()

    @Slot()
    def _clear_guidance(self) -> None:
        self._guidance = None
        self.update()

    @Slot(str)
    def _on_status(self, text: str) -> None:
        if self._current():
            self._set_message(text)

    @Slot(bool)
    def _on_available(self, available: bool) -> None:
        if not self._current():
            return
        self._has_camera = available
        self._show_pane(not available)
        if not available:
            self._image = None
            self._guidance = None
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
            paint_guide(painter, target, self.is_flashing, self._refused)
            if self._guidance is not None:  # held on: the hint only, the card moved on
                paint_guidance(painter, target, self._guidance, self.outlined)
        painter.end()

    def _fitted(self, image_size: QSize) -> QRect:
        scaled = image_size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, scaled.width(), scaled.height())
        target.moveCenter(self.rect().center())
        return target
