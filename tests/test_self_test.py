"""`loyalty-terminal --self-test` from source: the same checks CI runs on the built
bundle (`.ci/run` after `./bin/build-terminal`), here on the checkout's Python."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import self_test
from desktop.scan.frames import HD, render

CHECKS = ("window", "runtime", "qr-decode", "local-db")


def run_self_test(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "LOYALTY_"))}
    return subprocess.run(
        [sys.executable, "-m", "desktop.app", "--self-test", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,  # without QT_QPA_PLATFORM: the self-test must pick offscreen itself
        timeout=120,
    )


def test_self_test_passes_every_check_and_leaves_nothing_behind(tmp_path: Path):
    result = run_self_test("--data-dir", str(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [["ok", name] for name in CHECKS]
    assert all(line.split()[3] == "ms" for line in lines[:-1])
    assert "its camera worker read the card" in lines[0]
    assert lines[-1].startswith("self-test passed in ")
    assert list(tmp_path.iterdir()) == []  # the scratch till was removed


def test_a_data_dir_that_cannot_hold_a_till_fails_the_self_test(tmp_path: Path):
    not_a_dir = tmp_path / "till"
    not_a_dir.write_text("a file where the till's directory should be")

    result = run_self_test("--data-dir", str(not_a_dir))

    assert result.returncode == 1
    assert result.stdout.startswith("FAIL setup: no scratch directory under ")
    assert "passed" not in result.stdout


def test_a_frame_without_the_card_fails_the_decode_check():
    empty = render(None, seed=7, size=HD)

    with pytest.raises(self_test.CheckFailed, match=r"decoder read \[\]"):
        self_test.check_decode(empty)


def test_the_sample_frame_is_a_signed_card_payload_in_a_720p_frame():
    frame = self_test.sample_frame()

    assert frame.image.shape == (720, 1280, 3)
    assert self_test.check_decode(frame).endswith("in a 1280x720 frame")
