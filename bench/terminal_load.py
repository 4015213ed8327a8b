"""The till process: cold start (process start to the main window shown with its camera
view running, offscreen) and resident memory after scanning generated 1280x720 frames
at 30 fps for a while. Each run is a child process of a paired till of the realistic
store set's first store (bench/store_set.py: 100k cards, 100 staff PINs, its share of
~1M ledger entries), its data dir paired and synced with the real server on PostgreSQL
beforehand. Before each cold start the OS file cache is dropped where the OS lets us
(root on Linux: ``sync; echo 3 > /proc/sys/vm/drop_caches``), so the start reads
Python, Qt and the till's database from disk; otherwise the figure says "warm".

``python -m bench.terminal_load [--rss-seconds 600]``; the last line is JSON.
The child: ``python -m bench.terminal_load --child DATA_DIR cold|rss SECONDS``.
"""

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

# The child imports the till only: the parent's server helpers (FastAPI, the ORM,
# psycopg) are imported inside ``run``, or every cold start would pay for them too.
ROOT = Path(__file__).resolve().parents[1]


def _vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# -- the child: a till window ------------------------------------------------------------


def _child(data_dir: Path, mode: str, seconds: float) -> None:
    from desktop.malloc import tune_malloc

    tune_malloc()  # as desktop.app.main does first
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.engine.terminal import Terminal
    from desktop.engine.tokens import FileTokens
    from desktop.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    terminal = Terminal(data_dir, tokens=FileTokens(data_dir / "device-token"))
    # Cold: an empty frame made on the camera thread when it opens, as a webcam's
    # first picture would be (numpy loads there, not before the window).
    images = _frames(terminal, data_dir) if mode == "rss" else []
    source = _Looping(images)
    terminal.start_sync(5.0)
    window = MainWindow(terminal, camera_source=source.opened)
    window.show()
    _until_scanning(app, window.camera)
    print("READY", flush=True)
    if mode == "rss":
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        print(f"FRAMES {source.reads}", flush=True)
    window.close()
    terminal.close()


def _until_scanning(app: Any, camera: Any, timeout: float = 60.0) -> None:
    """The window is shown and the camera worker has its decoder (numpy, OpenCV and
    zxing-cpp loaded on its thread): a code held up now is read."""
    from desktop.ui.camera import READY

    deadline = time.monotonic() + timeout
    app.processEvents()
    while camera.status_text != READY:
        if time.monotonic() > deadline:
            raise RuntimeError(f"camera not ready: {camera.status_text}")
        app.processEvents()
        time.sleep(0.002)


class _Looping:
    def __init__(self, images: list[Any]) -> None:
        self.images = images
        self.reads = 0

    def opened(self, _index: int) -> "_Looping":
        if not self.images:
            import numpy as np

            self.images = [np.zeros((720, 1280, 3), dtype=np.uint8)]
        return self

    def read(self) -> Any:
        image = self.images[self.reads % len(self.images)]
        self.reads += 1
        return image

    def close(self) -> None:
        pass


def _frames(terminal: Any, data_dir: Path) -> list[Any]:
    from desktop.scan import frames

    with terminal.store.reading() as db:  # encrypted: through the till's own store
        cards = [row[0] for row in db.exec_driver_sql("SELECT card_number FROM cards LIMIT 10")]
    payloads = [terminal.qr_payload(card) for card in cards]
    easy = [f.image for f in frames.easy_frames(payloads, seed=5)]
    empty = [f.image for f in frames.empty_frames(10, seed=6)]
    # each code held for 30 frames (1 s), then 10 empty frames: a queue of customers
    out = []
    for image, blank in zip(easy, empty, strict=False):
        out += [image] * 30 + [blank] * 10
    return out


# -- the parent ----------------------------------------------------------------------------


def _spawn(data_dir: Path, mode: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.terminal_load", "--child", str(data_dir), mode, str(seconds)],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        text=True,
    )


def _wait_ready(proc: subprocess.Popen[str], timeout: float = 120.0) -> "queue.Queue[str]":
    """Lines of the child's output (read on a thread, so the wait has a deadline) once
    it said READY; a child that ends or stays silent past ``timeout`` fails the run."""
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"till child not ready after {timeout:g} s") from None
        if line.startswith("READY"):
            return lines
        if line == "":
            raise RuntimeError(f"till child ended without READY (rc {proc.wait()})")


def _pump(stream: IO[str], lines: "queue.Queue[str]") -> None:
    for line in stream:
        lines.put(line)
    lines.put("")  # the end


def drop_file_cache() -> bool:
    """Write dirty pages and drop the OS file cache: True if the OS let us."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def _cold_start(data_dir: Path, cold: bool) -> tuple[float, bool]:
    """Seconds to READY, and whether the file cache was dropped before."""
    dropped = drop_file_cache() if cold else False
    started = time.perf_counter()
    proc = _spawn(data_dir, "cold", 0)
    try:
        _wait_ready(proc)
        elapsed = time.perf_counter() - started
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return elapsed, dropped


def _rss(data_dir: Path, seconds: float) -> tuple[float, float, int]:
    proc = _spawn(data_dir, "rss", seconds)
    try:
        lines = _wait_ready(proc)
        began = time.monotonic()
        peak = last = _vm_rss_mb(proc.pid)
        while time.monotonic() - began < seconds - 1.0 and proc.poll() is None:
            time.sleep(1.0)
            last = _vm_rss_mb(proc.pid)
            peak = max(peak, last)
        proc.wait(timeout=60)
        reads = 0
        while (line := lines.get(timeout=10)) != "":
            if line.startswith("FRAMES"):
                reads = int(line.split()[1])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return last, peak, reads


def _paired_till(data_dir: Path, server_url: str, code: str) -> dict[str, int]:
    """Pair a till in ``data_dir`` and run its first sync; the rows it then holds."""
    from desktop.engine.terminal import Terminal
    from desktop.engine.tokens import FileTokens

    terminal = Terminal(data_dir, tokens=FileTokens(data_dir / "device-token"))
    try:
        terminal.client.pair(server_url, code)
        state = terminal.client.sync_once()
        if not state.online or state.error:
            raise RuntimeError(f"sync failed: {state.error}")
        with terminal.store.reading() as db:  # encrypted: through the till's own store
            return {
                table: int(db.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
                for table in ("cards", "staff_pins", "transactions")
            }
    finally:
        terminal.close()


def run(
    rss_seconds: float = 600.0,
    cold_runs: int = 3,
    cards: int = 100_000,
    entries: int = 1_000_000,
    cold: bool = True,
) -> dict[str, Any]:
    from bench import store_set
    from bench.chaos import drop_database
    from bench.deadline import doing
    from bench.pull_load import _pairing_code
    from bench.server_process import ServerProcess

    doing("seeding the store set")
    made = store_set.private_copy(cards, entries)
    seeded = made.seeded
    server = ServerProcess(seeded.url, workers=2)
    try:
        doing("starting the server")
        server.start()
        with tempfile.TemporaryDirectory() as folder:
            data_dir = Path(folder)
            doing("pairing the till and its first sync")
            code = _pairing_code(seeded.url, seeded.store_id, seeded.owner_id)
            held = _paired_till(data_dir, server.url, code)
            doing(f"{cold_runs} cold starts")
            starts = [_cold_start(data_dir, cold) for _ in range(cold_runs)]
            doing(f"{cold_runs} warm starts")
            warm = [_cold_start(data_dir, False)[0] for _ in range(cold_runs)]
            doing(f"scanning for {rss_seconds:g} s")
            last, peak, reads = _rss(data_dir, rss_seconds)
    finally:
        server.stop()
        drop_database(seeded.db_name)
    colds = [seconds for seconds, _ in starts]
    return {
        "cold_start_s": round(statistics.median(colds), 2),
        "cold_start_max_s": round(max(colds), 2),
        "cold_start_cache": "cold" if all(d for _, d in starts) else "warm",
        "cold_start_runs": cold_runs,
        "cold_start_warm_s": round(statistics.median(warm), 2),
        "cold_start_warm_max_s": round(max(warm), 2),
        "terminal_rss_mb": round(last, 1),
        "terminal_rss_max_mb": round(peak, 1),
        "terminal_rss_seconds": rss_seconds,
        "terminal_frames_read": reads,
        "terminal_fps": round(reads / rss_seconds, 1),
        "terminal_till_cards": held["cards"],
        "terminal_till_staff_pins": held["staff_pins"],
        "terminal_till_transactions": held["transactions"],
        **made.figures("terminal"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rss-seconds", type=float, default=600.0)
    parser.add_argument("--child", nargs=3, metavar=("DATA_DIR", "MODE", "SECONDS"))
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), args.child[1], float(args.child[2]))
        return
    from bench.deadline import PART_LIMIT_S, deadline

    with deadline(PART_LIMIT_S["terminal"], "terminal_load"):
        print(json.dumps(run(args.rss_seconds)))


if __name__ == "__main__":
    main()
