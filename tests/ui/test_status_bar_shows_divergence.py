"""The status bar says so when the till's cache still differs from the server after a
re-pull (desktop/engine/digest_check.py): the figure the engine publishes is shown."""

from desktop.engine.sync_client import SyncState
from desktop.ui.sync_status import TillStatusBar


def test_a_cache_that_still_differs_is_on_the_status_bar(qtbot):
    """Planted: ``show_state`` did not set the divergence label -> nothing shown."""
    bar = TillStatusBar()
    qtbot.addWidget(bar)

    bar.show_state(SyncState(online=True, divergent=2))
    shown = bar.divergent.text()
    bar.show_state(SyncState(online=True))

    assert "differs from the server (2 parts)" in shown
    assert bar.divergent.text() == ""
