"""The till on a 1280x800 screen: the window opens inside the screen with its status bar
in view, and what it needs at least (a card open, a result banner up) fits there
(issue #12: the window was 800 px tall plus its title bar, the status bar cut off)."""

from PySide6.QtCore import QRect, QSize, Qt

from desktop.ui.placement import FRAME, fit_on_screen
from tests.ui.test_nothing_clipped import fits
from tests.ui.test_till_window import banner, enter_pin, open_card

WAIT = 10_000  # ms; a ceiling for slow machines, not a timing assertion
SCREEN = QRect(0, 0, 1280, 800)


def status_bar_in_view(window) -> bool:
    bar = window.statusBar()
    return bar.isVisible() and window.rect().contains(bar.geometry())


def test_the_till_opens_inside_its_screen_with_the_status_bar_in_view(window):
    """Caught: a fixed 1200x800 window, taller and wider than the screen it opened on."""
    area = window.screen().availableGeometry()
    assert area.contains(window.frameGeometry()), (area, window.frameGeometry())
    assert status_bar_in_view(window)


def test_with_a_card_and_a_result_the_till_fits_a_1280x800_screen(qtbot, window, till):
    """Caught: what the window needs at least (its minimum size hint) must leave room for
    the title bar on a 1280x800 screen, and the status bar must stay in the window."""
    open_card(qtbot, window, till.cards[0])
    qtbot.mouseClick(window.panel.buttons["stamp"], Qt.MouseButton.LeftButton)
    enter_pin(qtbot, window, till.shop.pin)
    qtbot.waitUntil(lambda: "Stamp added" in banner(window), timeout=WAIT)

    needed = window.minimumSizeHint() + FRAME
    assert needed.width() <= SCREEN.width(), needed
    assert needed.height() <= SCREEN.height(), needed
    fit_on_screen(window, QSize(1200, 800), SCREEN)
    assert SCREEN.contains(QRect(window.pos(), window.size() + FRAME))
    qtbot.waitUntil(lambda: status_bar_in_view(window), timeout=WAIT)
    assert window.status.last_sync.isVisible()


def test_on_a_1280x800_screen_the_search_field_says_whole_what_it_takes(qtbot, window, till):
    """Caught looking at ./bin/demo under Xvfb (1280x800, openbox): with a card open the
    placeholder "Card number, email, phone or first name — or scan  [Ctrl+F]" ended
    in "[Ct…"."""
    open_card(qtbot, window, till.cards[0])
    fit_on_screen(window, QSize(1200, 800), SCREEN)
    qtbot.waitUntil(lambda: window.search_field.width() > 0, timeout=WAIT)

    field = window.search_field
    assert fits(field, field.placeholderText()), (field.width(), field.placeholderText())
