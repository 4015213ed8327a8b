"""A background job that ends after its window is gone (Ctrl-C during a sync round)
says nothing: it printed "RuntimeError: Signal source has been deleted" at every
Ctrl-C of ./bin/demo while a job was in flight."""

import threading

import shiboken6
from PySide6.QtCore import QThreadPool

from desktop.ui.background import Background


def test_a_job_ending_after_its_signals_are_gone_prints_no_traceback(qtbot, capfd):
    release = threading.Event()
    pool = QThreadPool()
    background = Background(pool=pool)
    told: list[object] = []
    background.run(lambda: release.wait(5), told.append)
    (job,) = background._jobs
    shiboken6.delete(job)  # what the application's teardown does to it

    release.set()
    assert pool.waitForDone(5000)

    assert "Signal source has been deleted" not in capfd.readouterr().err
    assert told == []
