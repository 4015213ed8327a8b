"""Without a camera the pane shows how else to find a card and the last customers
opened; the cashier opens one again with a click or with Enter (issue #12)."""

from PySide6.QtCore import Qt

from desktop.scan.reader import CameraSettings
from desktop.ui.camera_pane import HINTS, StoreMemory

WAIT = 10_000


def open_by_typing(qtbot, window, text: str) -> None:
    window.search_field.setFocus()
    qtbot.keyClicks(window.search_field, text)
    qtbot.keyClick(window.search_field, Qt.Key.Key_Return)


def test_no_camera_shows_the_other_ways_and_the_last_customers(qtbot, window, till):
    pane = window.camera.pane
    assert pane.isVisible()
    assert pane.hints.text() == HINTS
    assert not pane.recent.isVisible()  # nobody opened yet: no empty list
    open_by_typing(qtbot, window, till.cards[0])
    qtbot.waitUntil(lambda: window.panel.title.text() == "Ada L.", timeout=WAIT)
    open_by_typing(qtbot, window, till.cards[1])
    qtbot.waitUntil(lambda: window.panel.title.text() == "Alan T.", timeout=WAIT)
    assert pane.customers() == [till.cards[1], till.cards[0]]  # the last first

    qtbot.keyClick(window.search_field, Qt.Key.Key_Escape)  # close the card
    qtbot.waitUntil(lambda: window.panel.view is None, timeout=WAIT)
    second = pane.recent.visualItemRect(pane.recent.item(1)).center()
    qtbot.mouseClick(pane.recent.viewport(), Qt.MouseButton.LeftButton, pos=second)
    qtbot.waitUntil(lambda: window.panel.title.text() == "Ada L.", timeout=WAIT)

    pane.recent.setFocus()
    pane.recent.setCurrentRow(0)
    qtbot.keyClick(pane.recent, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.panel.title.text() == "Ada L.", timeout=WAIT)
    assert pane.customers()[0] == till.cards[0]


def test_camera_controls_are_remembered_per_camera(till):
    memory = StoreMemory(till.terminal.store)
    memory.remember(1, CameraSettings(1920, 1080, -1.0, False))
    assert StoreMemory(till.terminal.store).recall(1) == CameraSettings(1920, 1080, -1.0, False)
    assert memory.recall(0) == CameraSettings()  # another camera keeps its defaults


def test_odd_stored_controls_fall_back_to_defaults():
    assert CameraSettings.from_dict({"width": 7, "height": 3, "exposure_step": "x"}) == (
        CameraSettings()
    )
    assert CameraSettings.from_dict(None) == CameraSettings()
