"""The enrolment result: the QR on screen and on the printed card scan back to the payload,
the PDF is one card-sized page, and the dialog saves it and flags offline cards."""

import re
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from pytestqt.qtbot import QtBot

from common.card_number import make_card_number
from common.qr import encode_qr
from desktop.ui.card_print import (
    CARD_HEIGHT_MM,
    CARD_WIDTH_MM,
    CardLayout,
    render_card,
    save_card_pdf,
)
from desktop.ui.enroll_result import OFFLINE_NOTE, EnrollResultDialog
from desktop.ui.qr_image import qr_image

NUMBER = make_card_number(1_000_042, 1234)
PAYLOAD = encode_qr(NUMBER, b"merchant-qr-key")
MM_PER_POINT = 25.4 / 72


@pytest.fixture
def card() -> CardLayout:
    return CardLayout(
        program_name="Bakery Rewards",
        customer="Ada Lovelace",
        card_number=NUMBER,
        qr_payload=PAYLOAD,
    )


class SavingTo(EnrollResultDialog):
    """The dialog with the file chooser answered in advance."""

    def __init__(self, card: CardLayout, offline: bool, path: Path) -> None:
        super().__init__(card, offline)
        self.path = path

    def ask_pdf_path(self) -> Path | None:
        return self.path


def gray_array(image: QImage) -> np.ndarray:
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(gray.constBits(), np.uint8, count=gray.sizeInBytes())
    return rows.reshape(gray.height(), gray.bytesPerLine())[:, : gray.width()].copy()


def decoded(image: QImage) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(gray_array(image), formats=zxingcpp.BarcodeFormat.QRCode)


def media_box(pdf: bytes) -> tuple[float, float, float, float]:
    found = re.search(rb"/MediaBox\s*\[\s*([-\d.\s]+)\]", pdf)
    assert found is not None, "the PDF declares no MediaBox"
    x0, y0, x1, y1 = (float(v) for v in found.group(1).split())
    return x0, y0, x1, y1


def test_card_layout_groups_the_number_in_fours(card: CardLayout) -> None:
    assert card.display_number == " ".join(NUMBER[i : i + 4] for i in range(0, 16, 4))
    assert card.pdf_file_name == f"card-{NUMBER}.pdf"


def test_qr_image_decodes_to_the_exact_payload() -> None:
    results = decoded(qr_image(PAYLOAD))

    assert [r.text for r in results] == [PAYLOAD]


def test_qr_image_is_pure_black_and_white() -> None:
    pixels = gray_array(qr_image(PAYLOAD, module_px=3))

    assert set(np.unique(pixels).tolist()) == {0, 255}


def test_dialog_shows_a_qr_on_screen_that_scans_to_the_payload(
    qtbot: QtBot, card: CardLayout
) -> None:
    dialog = EnrollResultDialog(card, offline=False)
    qtbot.addWidget(dialog)
    on_screen = dialog.qr_label.pixmap().toImage()

    assert on_screen.width() >= 250
    assert [r.text for r in decoded(on_screen)] == [PAYLOAD]
    assert dialog.number_label.text() == card.display_number


def test_card_rendered_at_300_dpi_scans_and_its_qr_is_at_least_20_mm(
    qtbot: QtBot, card: CardLayout
) -> None:
    dpi = 300
    width = round(CARD_WIDTH_MM / 25.4 * dpi)
    height = round(CARD_HEIGHT_MM / 25.4 * dpi)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    image.fill(QColor(Qt.GlobalColor.white))
    painter = QPainter(image)
    render_card(painter, QRectF(0, 0, width, height), card)
    painter.end()

    results = decoded(image)

    assert [r.text for r in results] == [PAYLOAD]
    position = results[0].position
    side_px = abs(position.top_right.x - position.top_left.x)
    assert side_px / dpi * 25.4 >= 20


def test_saved_pdf_is_one_page_exactly_the_size_of_a_card(
    qtbot: QtBot, card: CardLayout, tmp_path: Path
) -> None:
    path = tmp_path / "card.pdf"

    save_card_pdf(card, path)

    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF")
    x0, y0, x1, y1 = media_box(pdf)
    assert abs((x1 - x0) - CARD_WIDTH_MM / MM_PER_POINT) <= 1  # 242.6 pt
    assert abs((y1 - y0) - CARD_HEIGHT_MM / MM_PER_POINT) <= 1  # 153.0 pt
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1


def test_save_as_pdf_button_writes_the_card_to_the_chosen_path(
    qtbot: QtBot, card: CardLayout, tmp_path: Path
) -> None:
    path = tmp_path / "card-out.pdf"
    dialog = SavingTo(card, offline=False, path=path)
    qtbot.addWidget(dialog)

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert path.read_bytes().startswith(b"%PDF")
    assert str(path) in dialog.status_label.text()


def test_ctrl_s_saves_the_pdf_too(qtbot: QtBot, card: CardLayout, tmp_path: Path) -> None:
    dialog = SavingTo(card, offline=False, path=tmp_path / "by-shortcut.pdf")
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()

    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert (tmp_path / "by-shortcut.pdf").read_bytes().startswith(b"%PDF")


def test_default_pdf_name_is_card_number_in_documents(qtbot: QtBot, card: CardLayout) -> None:
    dialog = EnrollResultDialog(card, offline=False)
    qtbot.addWidget(dialog)

    assert dialog.default_pdf_path().name == f"card-{NUMBER}.pdf"


def test_buttons_are_large_enough_to_touch(qtbot: QtBot, card: CardLayout) -> None:
    dialog = EnrollResultDialog(card, offline=False)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    for button in (dialog.print_button, dialog.save_button, dialog.done_button):
        assert button.height() >= 48


def test_offline_note_is_shown_for_a_card_made_offline(qtbot: QtBot, card: CardLayout) -> None:
    dialog = EnrollResultDialog(card, offline=True)
    qtbot.addWidget(dialog)

    assert dialog.offline_note.isVisibleTo(dialog)
    assert dialog.offline_note.text() == OFFLINE_NOTE


def test_offline_note_is_hidden_for_a_card_made_online(qtbot: QtBot, card: CardLayout) -> None:
    dialog = EnrollResultDialog(card, offline=False)
    qtbot.addWidget(dialog)

    assert not dialog.offline_note.isVisibleTo(dialog)


def test_done_closes_the_dialog_accepted(qtbot: QtBot, card: CardLayout) -> None:
    dialog = EnrollResultDialog(card, offline=False)
    qtbot.addWidget(dialog)
    dialog.show()

    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)

    assert dialog.result() == EnrollResultDialog.DialogCode.Accepted
    assert not dialog.isVisible()
