"""Info: what the open file is (name, size, depth, channels) and a luminance/RGB histogram of the current picture.

The histogram is computed from a subsample of at most ~250k pixels, which takes a few milliseconds, so it is
done directly when the picture changes rather than as a job.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from latent_studio.app.core.imageio import Picture
from latent_studio.app.gui.context import EditorContext
from latent_studio.app.gui.panels.base_panel import ToolPanel

_BINS = 128
_CHANNEL_COLOURS = (QColor(235, 80, 80, 80), QColor(80, 200, 110, 80), QColor(80, 140, 255, 80))


def histogram(picture: Picture, bins: int = _BINS) -> np.ndarray:
    """(3, bins) RGB histograms in [0, 1] of a subsample of `picture` (alpha ignored)."""
    pixels = picture.pixels
    step = max(1, int(np.sqrt(pixels.shape[0] * pixels.shape[1] / 250_000)))
    sample = pixels[::step, ::step, :3].reshape(-1, 3)
    top = np.iinfo(pixels.dtype).max
    indices = (sample.astype(np.uint32) * bins) // (top + 1)
    counts = np.stack([np.bincount(indices[:, c], minlength=bins)[:bins] for c in range(3)]).astype(np.float64)
    # Scale to a high bin rather than the highest, so one spike (a white sky, a black border) doesn't flatten the rest.
    peak = float(np.sort(counts.ravel())[-4]) or 1.0
    return np.minimum(counts / peak, 1.0)


class HistogramView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._counts: np.ndarray | None = None
        self.setMinimumHeight(110)

    def set_counts(self, counts: np.ndarray | None) -> None:
        self._counts = counts
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(0, 0, -1, -1)
        painter.setPen(QColor(58, 61, 68))
        painter.setBrush(QColor(26, 28, 31))
        painter.drawRoundedRect(rect, 4, 4)
        if self._counts is None:
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Plus)
        width, height = rect.width() - 8, rect.height() - 8
        for counts, colour in zip(self._counts, _CHANNEL_COLOURS, strict=True):  # R, G, B
            path = QPainterPath(QPointF(4, 4 + height))
            for index, value in enumerate(counts):
                path.lineTo(QPointF(4 + width * index / (len(counts) - 1), 4 + height * (1 - float(value) ** 0.5)))
            path.lineTo(QPointF(4 + width, 4 + height))
            path.closeSubpath()
            painter.setBrush(colour)
            painter.drawPath(path)


class InfoPanel(ToolPanel):
    title = "Info"
    is_tool = False

    def __init__(self, context: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.histogram = HistogramView()
        self.fields = {name: QLabel("—") for name in ("File", "Size", "Format", "Channels")}
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(6)
        for name, label in self.fields.items():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{name}:", label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(10)
        layout.addWidget(self.histogram)
        layout.addLayout(form)
        layout.addStretch(1)
        context.document.changed.connect(self._on_document_changed)
        context.document.path_changed.connect(self._on_document_changed)
        self._on_document_changed()

    def _on_document_changed(self) -> None:
        document = self.context.document
        picture = document.picture
        self.histogram.set_counts(histogram(picture) if picture is not None else None)
        if picture is None:
            for label in self.fields.values():
                label.setText("—")
            return
        self.fields["File"].setText(document.display_name)
        self.fields["File"].setToolTip(str(document.path or ""))
        self.fields["Size"].setText(
            f"{picture.width} × {picture.height} px ({picture.width * picture.height / 1e6:.2f} MP)"
        )
        self.fields["Format"].setText(f"{picture.source_format or '—'}, {picture.bit_depth}-bit")
        channels = ("Gray" if picture.is_gray else "RGB") + (" + alpha" if picture.has_alpha else "")
        self.fields["Channels"].setText(channels)
