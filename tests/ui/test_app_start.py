"""`loyalty-terminal`: the first start pairs with the code it is given and opens the
window on the shop's data; a second start goes straight to the window."""

import subprocess
import sys

import httpx

from desktop import app
from tests.support.terminals import pairing_code


def open_until_ready(qtbot, argv: list[str]) -> str:
    """Start the till as ``loyalty-terminal`` does (minus the event loop, which the
    test's own loop stands in for) and wait until its window shows the shop."""
    terminal, window = app.open_till(app.parse_args(argv))
    try:
        assert window is not None
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: terminal.ready and "Ui" in window.windowTitle(), timeout=10000)
        title = window.windowTitle()
        window.close()
        return title
    finally:
        terminal.close()


def test_first_start_pairs_with_the_given_code_then_opens_straight(
    qtbot, ui_server, tmp_path, file_keyring
):
    shop = ui_server.shop()
    with httpx.Client(base_url=ui_server.url, headers=shop.owner_headers) as http:
        code = pairing_code(http)
    argv = [
        "--data-dir",
        str(tmp_path / "till"),
        "--server",
        ui_server.url,
        "--sync-interval",
        "0.2",
    ]

    first = open_until_ready(qtbot, [*argv, "--pairing-code", code])
    again = open_until_ready(qtbot, argv)  # the code is used up: no pairing this time

    assert first.startswith("Loyalty till — Ui")
    assert again == first


def test_help_works_without_a_display():
    result = subprocess.run(
        [sys.executable, "-m", "desktop.app", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0
    assert "--pairing-code" in result.stdout
