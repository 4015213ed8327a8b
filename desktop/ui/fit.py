"""Widths that fit their text in the font the widget is shown in (the window's style
sheet makes it larger than the default a widget has when it is built: measuring before
it is polished clips the text once shown)."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLineEdit, QListWidget, QStyle, QTableWidget


def fit_columns(table: QTableWidget) -> None:
    """Every column as wide as its header and its longest cell, recomputed by the
    header whenever the font or the rows change; the last column (free text: a reason,
    a status) takes the rest of the width and elides what does not fit."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    header.setMinimumSectionSize(0)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)


def fit_list(rows: QListWidget) -> None:
    """A list at least as wide as its longest row, measured in the polished font."""
    rows.ensurePolished()
    texts = [rows.item(i).text() for i in range(rows.count())]
    if not texts:
        return
    style = rows.style()
    margin = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, rows) + 1)
    frame = 2 * rows.frameWidth()
    bar = style.pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, rows)
    widest = max(rows.fontMetrics().horizontalAdvance(t) for t in texts)
    rows.setMinimumWidth(widest + margin + frame + bar + 8)


def fit_line_edit(field: QLineEdit, text: str | None = None) -> None:
    """A field wide enough for ``text`` (its placeholder by default), in its font."""
    field.ensurePolished()
    sample = field.placeholderText() if text is None else text
    frame = field.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, field)
    margins = field.textMargins()
    needed = field.fontMetrics().horizontalAdvance(sample) + 2 * 2 + 2 * frame + 8
    field.setMinimumWidth(needed + margins.left() + margins.right())
