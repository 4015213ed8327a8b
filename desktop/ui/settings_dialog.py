"""Till settings: which camera reads the cards (or none: a USB scanner or typing).
Cameras are probed off the UI thread; opening a device can take a second."""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.scan.reader import list_cameras
from desktop.ui.background import Background
from desktop.ui.fit import fit_list

NO_CAMERA = -1


class CameraSettingsDialog(QDialog):
    """``camera_index`` is the choice when accepted (NO_CAMERA to turn it off)."""

    def __init__(
        self,
        current: int,
        background: Background,
        parent: QWidget | None = None,
        probe: Callable[[], list[int]] = list_cameras,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Camera")
        self.camera_index = current
        self.list = QListWidget()
        self.message = QLabel("Looking for cameras…")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self._add("No camera (USB scanner or typing)", NO_CAMERA, current)
        fit_list(self.list)
        background.run(probe, lambda found: self._found(found, current), self._failed)

    def _found(self, found: list[int], current: int) -> None:
        for index in found:
            self._add(f"Camera {index}", index, current)
        fit_list(self.list)
        self.message.setText(
            f"{len(found)} camera(s) found." if found else "No camera found on this till."
        )

    def _failed(self, exc: Exception) -> None:
        self.message.setText(f"Cameras could not be listed: {exc}")

    def _add(self, text: str, index: int, current: int) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, index)
        self.list.addItem(item)
        if index == current:
            self.list.setCurrentItem(item)

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.camera_index = int(item.data(Qt.ItemDataRole.UserRole))
        self.accept()
