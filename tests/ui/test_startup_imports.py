"""What a paired till's start loads before its window is up: not the manager area,
card printing, history or the pairing wizard (imported when first opened), and not
numpy, OpenCV or zxing-cpp on the UI thread (the camera worker loads them on its own).

The start runs in a fresh interpreter, as ``loyalty-terminal`` would: this test
process has long imported everything."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from desktop.engine.terminal import Terminal
from desktop.engine.tokens import FileTokens
from tests.support.terminals import pairing_code

# Runs desktop.app.open_till as a second start does, recording which modules the
# main (UI) thread is the first to import, until the camera worker has given its
# verdict (no camera on a test machine: it still opens OpenCV to find out).
START = """
import json, sys, threading, time

ui_thread_imports = set()


class Spy:
    def find_spec(self, name, path=None, target=None):
        if threading.current_thread() is threading.main_thread():
            ui_thread_imports.add(name)
        return None


sys.meta_path.insert(0, Spy())
from PySide6.QtWidgets import QApplication

from desktop import app

qt = QApplication(sys.argv[:1])
terminal, window = app.open_till(app.parse_args(["--data-dir", sys.argv[1]]))
assert window is not None, "not paired"
deadline = time.monotonic() + 30
while window.camera.status_text.startswith(("Starting", "Camera off")):
    assert time.monotonic() < deadline, window.camera.status_text
    qt.processEvents()
    time.sleep(0.01)
print(json.dumps({"ui_thread": sorted(ui_thread_imports), "loaded": sorted(sys.modules)}))
window.close()
terminal.close()
"""

LAZY = [
    "desktop.ui.manager.window",
    "desktop.ui.manager.login_dialog",
    "desktop.engine.manager_api",
    "desktop.ui.card_print",
    "desktop.ui.enroll_result",
    "desktop.ui.history_view",
    "desktop.ui.pairing",
    "qrcode",
]


def test_a_paired_start_leaves_rare_screens_and_the_decoder_off_the_ui_thread(
    ui_server, tmp_path: Path
):
    data_dir = tmp_path / "till"
    shop = ui_server.shop()
    with httpx.Client(base_url=ui_server.url, headers=shop.owner_headers) as http:
        code = pairing_code(http)
    terminal = Terminal(data_dir, tokens=FileTokens(data_dir / "device-token"))
    try:
        terminal.client.pair(ui_server.url, code)
    finally:
        terminal.close()

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        # No OS keyring: the token is read from the file it was paired into.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    result = subprocess.run(
        [sys.executable, "-c", START, str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert [m for m in LAZY if m in seen["loaded"]] == []
    heavy = [m for m in seen["ui_thread"] if m.split(".")[0] in ("cv2", "numpy", "zxingcpp")]
    assert heavy == []
    # The spy does see the UI thread's imports, and the worker did load OpenCV.
    assert "desktop.ui.main_window" in seen["ui_thread"]
    assert "cv2" in seen["loaded"]
