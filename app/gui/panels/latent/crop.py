"""The face box on the canvas: draws it, turns canvas drags into box changes, and follows the size slider.

The rules of the gestures live in `latent.state.CropBox`; this only connects them to the canvas and the
slider, and says when the user changed the box (`edited`), so the panel can encode the new crop.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPainter

from latent_studio.app.gui.canvas import ImageCanvas
from latent_studio.app.gui.panels.latent.layout import LatentControls
from latent_studio.app.gui.panels.latent.state import BoxTuple, CropBox
from latent_studio.app.gui.panels.latent.widgets import paint_box

GRAB_RADIUS = 10.0  # screen pixels


class CropTool(QObject):
    edited = Signal(bool)  # the user changed the box; True when it came from the slider (more may follow)

    def __init__(
        self,
        canvas: ImageCanvas,
        ui: LatentControls,
        active: Callable[[], bool],
        encoded_box: Callable[[], BoxTuple | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.crop = CropBox()
        self._canvas, self._ui = canvas, ui
        self._active, self._encoded_box = active, encoded_box
        canvas.clicked.connect(self._on_clicked)
        canvas.dragged.connect(self._on_dragged)
        canvas.released.connect(self._on_released)
        canvas.add_overlay(self._paint)
        ui.size_slider.valueChanged.connect(self._on_size_changed)

    @property
    def box(self) -> BoxTuple | None:
        return self.crop.box

    def start(self, width: int, height: int) -> None:
        """A new picture (0 x 0: none): no box until one is detected or drawn."""
        self.crop.set_picture_size(width, height)
        self.show()

    def set_box(self, box: BoxTuple | None) -> None:
        self.crop.set_box(box)
        self.show()

    def show(self) -> None:
        self._ui.show_box(self.crop)
        self._canvas.update_overlays()

    def _on_clicked(self, x: float, y: float, button) -> None:
        if button == Qt.MouseButton.LeftButton and self._active():
            self.crop.press(x, y, GRAB_RADIUS / self._canvas.zoom)

    def _on_dragged(self, x: float, y: float, buttons) -> None:
        if buttons & Qt.MouseButton.LeftButton and self.crop.drag(x, y):
            self.show()

    def _on_released(self, x: float, y: float, button) -> None:
        if button == Qt.MouseButton.LeftButton and self.crop.release():
            self.show()
            self.edited.emit(False)

    def _on_size_changed(self, size: int) -> None:
        if self.crop.set_size(size):
            self.show()
            self.edited.emit(True)

    def _paint(self, painter: QPainter, zoom: float) -> None:
        if self.crop.box is not None and self._active():
            paint_box(painter, zoom, self.crop.box, self._encoded_box() == self.crop.box)
