"""The camera pane's other faces: what it shows when there is no camera (how else to
find a card, and the last customers opened, one key or click away), the camera's
controls, and where the chosen controls are remembered per camera."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMenu, QVBoxLayout, QWidget

from desktop.scan.reader import RESOLUTIONS, CameraSettings

if TYPE_CHECKING:
    from desktop.engine.local_store import LocalStore

HINTS = (
    "Scan the card with the USB scanner, or type its number, the customer's whole email "
    "or phone, or first name in the search box  [Ctrl+F]."
)
RECENT_MAX = 5
DARKER_STEP = -1.0


class SettingsMemory(Protocol):
    """Where each camera's controls are kept between runs."""

    def recall(self, camera_index: int) -> CameraSettings: ...

    def remember(self, camera_index: int, settings: CameraSettings) -> None: ...


class InMemory:
    def __init__(self) -> None:
        self._kept: dict[int, CameraSettings] = {}

    def recall(self, camera_index: int) -> CameraSettings:
        return self._kept.get(camera_index, CameraSettings())

    def remember(self, camera_index: int, settings: CameraSettings) -> None:
        self._kept[camera_index] = settings


class StoreMemory:
    """In the till's meta store, beside ``camera_index``: ``camera_settings.<index>``."""

    def __init__(self, store: LocalStore) -> None:
        self._store = store

    def recall(self, camera_index: int) -> CameraSettings:
        return CameraSettings.from_dict(self._store.get_meta(f"camera_settings.{camera_index}"))

    def remember(self, camera_index: int, settings: CameraSettings) -> None:
        with self._store.transaction() as conn:
            self._store.set_meta(conn, f"camera_settings.{camera_index}", settings.as_dict())


class NoCameraPane(QWidget):
    """The hints and the last customers opened; Enter or a click opens one.

    Signals:
        customer_chosen(str): the card number of the customer picked.
    """

    customer_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hints = QLabel(HINTS)
        self.hints.setWordWrap(True)
        self.hints.setStyleSheet("color: white; font-size: 15px;")
        self.title = QLabel("Last customers")
        self.title.setStyleSheet("color: #ccc; font-size: 13px; margin-top: 12px;")
        self.recent = QListWidget()
        self.recent.setStyleSheet("font-size: 15px;")
        self.recent.itemActivated.connect(self._chosen)
        self.recent.itemClicked.connect(self._chosen)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hints)
        layout.addWidget(self.title)
        layout.addWidget(self.recent, 1)
        self._show_list()

    def add_customer(self, name: str, card_number: str) -> None:
        """Put a customer on top (once), keeping the last ``RECENT_MAX``."""
        for row in range(self.recent.count()):
            if self.recent.item(row).data(Qt.ItemDataRole.UserRole) == card_number:
                self.recent.takeItem(row)
                break
        item = QListWidgetItem(f"{name}  ·  …{card_number[-4:]}")
        item.setData(Qt.ItemDataRole.UserRole, card_number)
        self.recent.insertItem(0, item)
        while self.recent.count() > RECENT_MAX:
            self.recent.takeItem(self.recent.count() - 1)
        self._show_list()

    def customers(self) -> list[str]:
        return [
            str(self.recent.item(row).data(Qt.ItemDataRole.UserRole))
            for row in range(self.recent.count())
        ]

    def _show_list(self) -> None:
        has = self.recent.count() > 0
        self.title.setVisible(has)
        self.recent.setVisible(has)

    def _chosen(self, item: QListWidgetItem) -> None:
        self.customer_chosen.emit(str(item.data(Qt.ItemDataRole.UserRole)))


def controls_menu(parent: QWidget, settings: CameraSettings, choose: CameraChoice) -> QMenu:
    """Resolution, darker exposure against glare, autofocus: each a wish to the camera."""
    menu = QMenu("Camera", parent)
    sizes = QActionGroup(menu)
    for width, height in RESOLUTIONS:
        label = f"{width} x {height}" + ("  (small codes)" if width > 1280 else "")
        action = QAction(label, menu, checkable=True)
        action.setChecked((width, height) == (settings.width, settings.height))
        action.triggered.connect(
            lambda _=False, w=width, h=height: choose(_with(settings, width=w, height=h))
        )
        sizes.addAction(action)
        menu.addAction(action)
    menu.addSeparator()
    darker = QAction("Darker (against glare)", menu, checkable=True)
    darker.setChecked(settings.exposure_step < 0)
    darker.triggered.connect(
        lambda on: choose(_with(settings, exposure_step=DARKER_STEP if on else 0.0))
    )
    menu.addAction(darker)
    focus = QAction("Autofocus", menu, checkable=True)
    focus.setChecked(settings.autofocus)
    focus.triggered.connect(lambda on: choose(_with(settings, autofocus=bool(on))))
    menu.addAction(focus)
    return menu


class CameraChoice(Protocol):
    def __call__(self, settings: CameraSettings) -> None: ...


def _with(settings: CameraSettings, **changes: object) -> CameraSettings:
    values = settings.as_dict() | changes
    return CameraSettings.from_dict(values)
