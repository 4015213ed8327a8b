"""``python -m desktop.screenshots``: every view it promises is rendered, as a picture
worth looking at, and the set committed under docs/screenshots/ is the same set."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from desktop.screenshots.__main__ import main
from desktop.screenshots.render import FILES

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def colours(image: QImage) -> int:
    """How many distinct colours the picture holds."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(rgb.constBits(), np.uint32, count=rgb.sizeInBytes() // 4)
    pixels = rows.reshape(rgb.height(), rgb.bytesPerLine() // 4)[:, : rgb.width()]
    return len(np.unique(pixels))


@pytest.mark.slow
def test_every_view_is_rendered_to_a_png_with_something_on_it(qapp, tmp_path, capsys):
    """Caught, each planted once: a scene left out of the run (its file missing), a
    dialog grabbed before it was shown (one flat colour), a scene saved under a name
    not in the list (refused by ``Shots.take``)."""
    assert main([str(tmp_path / "shots")]) == 0

    printed = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in printed) == sorted(FILES)
    for name in FILES:
        path = tmp_path / "shots" / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE, name
        image = QImage(str(path))
        assert not image.isNull(), name
        assert image.width() >= 400, (name, image.size())
        assert image.height() >= 200, (name, image.size())
        assert colours(image) > 16, f"{name} is (nearly) one colour"


def test_the_committed_screenshots_are_the_rendered_set():
    """Caught: a view added to (or dropped from) the command without regenerating
    docs/screenshots/, and a stale picture left behind under an old name."""
    committed = sorted(p.name for p in (ROOT / "docs" / "screenshots").glob("*.png"))
    assert committed == sorted(FILES)
