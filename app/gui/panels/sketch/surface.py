"""The Sketch tool's large drawing surface: drawing and result side by side, or the result under the drawing.

While the Sketch tab is raised the surface covers the editor's image area (it is a child of that widget and
follows its size), so drawing gets the window's middle, as in the pix2pix / iGAN demos, and the dock keeps
the controls. Side by side: a splitter with the drawing on the left and the model's picture on the right,
both at the same zoom; overlay: one view, the result under a semi-transparent drawing. The wheel over either
view zooms both (steps through `ZOOMS`); `fit()` picks the largest zoom at which the paper fits its pane.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QSplitter, QWidget

from latent_studio.app.gui.panels.sketch.canvas import SketchCanvas

ZOOMS = (0.25, 0.33, 0.5, 0.67, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
SIDE_BY_SIDE, OVERLAY = "side-by-side", "overlay"


class SketchResultView(QWidget):
    """The model's picture at the paper's shape and the surface's zoom (a frame and a note until one arrives)."""

    zoom_requested = Signal(int)

    def __init__(self, shape: tuple[int, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.shape = shape
        self.zoom = 1.0
        self.setToolTip("The model's picture of the drawing, updated as you draw")
        self._fit_size()

    def _fit_size(self) -> None:
        height, width = self.shape
        self.setFixedSize(max(1, round(width * self.zoom)), max(1, round(height * self.zoom)))

    def set_view(self, shape: tuple[int, int], zoom: float) -> None:
        self.shape, self.zoom = shape, zoom
        self._fit_size()
        self.update()

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        notches = round(event.angleDelta().y() / 120)
        if notches:
            self.zoom_requested.emit(notches)
        event.accept()

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.image is None:
            painter.fillRect(self.rect(), QColor("#2b2e33"))
            painter.setPen(QColor("#8e949e"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The picture appears here")
        else:
            painter.drawImage(QRectF(self.rect()), self.image)
        painter.setPen(QPen(QColor("#5a5f68"), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()


def _pane(widget: QWidget, name: str) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setObjectName(name)
    scroll.setWidget(widget)
    scroll.setWidgetResizable(False)
    scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setMinimumSize(80, 80)
    return scroll


class SketchSurface(QWidget):
    """Drawing | result (or overlaid); lies over `host` (the image area) and follows its size while shown."""

    zoom_changed = Signal(float)

    def __init__(self, canvas: SketchCanvas, host: QWidget | None = None) -> None:
        super().__init__(host)
        self.setObjectName("sketch-surface")
        self.setAutoFillBackground(True)
        self.canvas = canvas
        self.result_view = SketchResultView(canvas.buffers.shape)
        self.result_image: QImage | None = None
        self.mode = SIDE_BY_SIDE
        self.zoom = 1.0
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.drawing_pane = _pane(canvas, "sketch-drawing")
        self.result_pane = _pane(self.result_view, "sketch-result")
        self.splitter.addWidget(self.drawing_pane)
        self.splitter.addWidget(self.result_pane)
        self.splitter.setChildrenCollapsible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        canvas.zoom_requested.connect(self.zoom_by)
        self.result_view.zoom_requested.connect(self.zoom_by)
        if host is not None:
            host.installEventFilter(self)
            self.setGeometry(host.rect())
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False

    # --- view ---------------------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """SIDE_BY_SIDE or OVERLAY."""
        self.mode = mode
        self.result_pane.setVisible(mode == SIDE_BY_SIDE)
        self.canvas.set_underlay(self.result_image if mode == OVERLAY else None)

    def set_zoom(self, zoom: float) -> None:
        self.zoom = min(max(zoom, ZOOMS[0]), ZOOMS[-1])
        self.canvas.set_zoom(self.zoom)
        self.result_view.set_view(self.canvas.buffers.shape, self.zoom)
        self.zoom_changed.emit(self.zoom)

    def zoom_by(self, notches: int) -> None:
        """Step through ZOOMS (from the nearest step beyond the zoom now, after a fit): + in, - out."""
        if notches > 0:
            larger = [z for z in ZOOMS if z > self.zoom + 1e-6] or [ZOOMS[-1]]
            self.set_zoom(larger[min(notches, len(larger)) - 1])
        elif notches < 0:
            smaller = [z for z in ZOOMS if z < self.zoom - 1e-6] or [ZOOMS[0]]
            self.set_zoom(smaller[-min(-notches, len(smaller))])

    def fit(self) -> None:
        """The largest zoom (to 1%) at which the paper fits its pane (each pane when side by side)."""
        height, width = self.canvas.buffers.shape
        panes = 2 if self.mode == SIDE_BY_SIDE else 1
        room_w = max(1, (self.width() - 16) // panes - 8)
        room_h = max(1, self.height() - 16)
        best = min(room_w / width, room_h / height)
        self.set_zoom(math.floor(best * 100) / 100)

    def paper_changed(self) -> None:
        """The paper's shape may have changed (new paper, a loaded drawing, undo): resize both views."""
        self.set_zoom(self.zoom)

    def show_result(self, image: QImage) -> None:
        self.result_image = image
        self.result_view.set_image(image)
        if self.mode == OVERLAY:
            self.canvas.set_underlay(image)
