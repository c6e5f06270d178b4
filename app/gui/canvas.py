"""The image canvas: zoom, pan, before/after, a checkerboard under transparency, and hooks for tool panels.

A QGraphicsView whose scene is in IMAGE pixel coordinates (the picture sits at the origin, unscaled), so the
coordinates in `clicked` / `dragged` / `released` and in overlay painting are image pixels. Zooming is the
view's transform; panning is its scroll position. Panels draw markers by registering an overlay callback
`fn(painter, zoom)` with `add_overlay`; the painter is in image coordinates (divide sizes by `zoom` to keep
them a constant size on screen).

Mouse (see canvas_input.py): wheel zooms around the cursor; the middle button, Space + left button, or the
hand tool (on unless a panel wants clicks) pans; other presses become `clicked`/`dragged`/`released`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QFrame, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

from latent_studio.app.gui.canvas_input import CanvasInput
from latent_studio.app.gui.canvas_paint import BACKGROUND, checker_brush, paint_backdrop, paint_placeholder
from latent_studio.app.gui.compare import CompareLayer, CompareMode

log = logging.getLogger(__name__)

Overlay = Callable[[QPainter, float], None]

MIN_ZOOM = 1 / 64
MAX_ZOOM = 64.0
ZOOM_STEP = 1.25
FIT_MARGIN = 24  # screen pixels left around a fitted picture
#: Below this zoom the picture is filtered smoothly; above it, pixels show as crisp squares (for precise work).
SMOOTH_BELOW = 3.0


@dataclass(frozen=True)
class ViewState:
    """Zoom and the image point at the centre of the view; `fit` means "refit when the view resizes"."""

    zoom: float = 1.0
    center_x: float = 0.0
    center_y: float = 0.0
    fit: bool = True


class ImageCanvas(QGraphicsView):
    clicked = Signal(float, float, object)  # x, y, Qt.MouseButton
    dragged = Signal(float, float, object)  # x, y, Qt.MouseButtons held
    released = Signal(float, float, object)  # x, y, Qt.MouseButton
    hovered = Signal(float, float)  # image coordinates under the cursor (-1, -1 when outside the view)
    view_changed = Signal()  # zoom or pan changed (for readouts and for syncing another view)
    hand_tool_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self.scene().addItem(self._item)
        self.compare = CompareLayer(self.scene())
        self._overlays: list[Overlay] = []
        self._fit = True
        self._hand_tool = True
        self._checker = checker_brush()
        self._has_alpha = False
        self.placeholder = "Open an image (Ctrl+O) or drop one here"
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAcceptDrops(False)  # let drops reach the main window
        self._input = CanvasInput(self)
        self._input.update_cursor()

    # --- pictures --------------------------------------------------------------------------------------

    def set_image(self, image: QImage | None) -> None:
        """Show `image`; the view is refitted when the size changes (a new file, a rotation)."""
        old_size = self._item.pixmap().size()
        pixmap = QPixmap.fromImage(image) if image is not None and not image.isNull() else QPixmap()
        self._item.setPixmap(pixmap)
        self._has_alpha = image is not None and image.hasAlphaChannel()
        self.compare.set_extent(self.image_rect())
        if pixmap.isNull() or pixmap.size() != old_size:
            self.fit()
        self.viewport().update()

    def set_before(self, image: QImage | None) -> None:
        """The original picture, for the before/after comparison."""
        self.compare.set_pixmap(QPixmap.fromImage(image) if image is not None and not image.isNull() else None)
        self.viewport().update()

    def displayed_image(self) -> QImage:
        """The current picture as shown (a copy; null when there is none)."""
        return self._item.pixmap().toImage()

    def has_image(self) -> bool:
        return not self._item.pixmap().isNull()

    def image_rect(self) -> QRectF:
        return self._item.boundingRect()

    def set_compare_mode(self, mode: CompareMode | str) -> None:
        self.compare.set_mode(CompareMode(mode))
        self.viewport().update()

    @property
    def compare_mode(self) -> CompareMode:
        return self.compare.mode

    def is_showing_before(self) -> bool:
        """True when the original covers the whole picture (the backslash toggle)."""
        return self.compare.active and self.compare.mode is CompareMode.BEFORE

    # --- zoom and pan ----------------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to `zoom` keeping the image point under `anchor` (viewport position; default centre) fixed."""
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        anchor = anchor if anchor is not None else QPointF(self.viewport().rect().center())
        scene_point = self.mapToScene(anchor.toPoint())
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self._after_zoom()
        self._scroll_so(scene_point, anchor)
        self._fit = False
        self.view_changed.emit()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def fit(self) -> None:
        """Show the whole picture, centred (and keep doing so as the window resizes)."""
        rect = self.image_rect()
        view = self.viewport().rect()
        if rect.isEmpty() or view.isEmpty():
            self.setTransform(QTransform())
        else:
            margin = 2 * FIT_MARGIN
            zoom = min((view.width() - margin) / rect.width(), (view.height() - margin) / rect.height())
            zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
            self.setTransform(QTransform.fromScale(zoom, zoom))
        self._after_zoom()
        self.centerOn(rect.center())
        self._fit = True
        self.view_changed.emit()

    def view_state(self) -> ViewState:
        center = self.mapToScene(self.viewport().rect().center())
        return ViewState(self.zoom, center.x(), center.y(), self._fit)

    def set_view_state(self, state: ViewState) -> None:
        if state.fit:
            self.fit()
            return
        self.set_zoom(state.zoom)
        self.centerOn(QPointF(state.center_x, state.center_y))
        self.view_changed.emit()

    def _after_zoom(self) -> None:
        """Let the view scroll well past the picture's edges, and pick smoothing for the zoom level."""
        rect = self.image_rect()
        margin_x = self.viewport().width() / self.zoom
        margin_y = self.viewport().height() / self.zoom
        self.setSceneRect(rect.adjusted(-margin_x, -margin_y, margin_x, margin_y))
        smooth = self.zoom < SMOOTH_BELOW
        mode = Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation
        self._item.setTransformationMode(mode)
        self.compare.set_smooth(smooth)

    def _scroll_so(self, scene_point: QPointF, view_point: QPointF) -> None:
        delta = self.mapFromScene(scene_point) - view_point.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())

    def pan_by(self, dx: float, dy: float) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(dy))
        self._fit = False
        self.view_changed.emit()

    # --- tool support ----------------------------------------------------------------------------------

    def set_hand_tool(self, on: bool) -> None:
        """With the hand tool, a left drag pans; panels turn it off to receive clicks."""
        changed = on != self._hand_tool
        self._hand_tool = on
        self._input.update_cursor()
        if changed:
            self.hand_tool_changed.emit(on)

    @property
    def hand_tool(self) -> bool:
        return self._hand_tool

    def add_overlay(self, overlay: Overlay) -> None:
        self._overlays.append(overlay)
        self.viewport().update()

    def remove_overlay(self, overlay: Overlay) -> None:
        if overlay in self._overlays:
            self._overlays.remove(overlay)
        self.viewport().update()

    def update_overlays(self) -> None:
        self.viewport().update()

    def image_point(self, view_pos: QPointF) -> QPointF:
        return self.mapToScene(view_pos.toPoint())

    # --- Qt events (mouse and keys are handled by CanvasInput) ------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fit:
            self.fit()
        else:
            self._after_zoom()

    # --- painting ----------------------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        painter.fillRect(rect, BACKGROUND)
        if self.has_image():
            painter.save()
            painter.resetTransform()
            frame = self.mapFromScene(self.image_rect()).boundingRect()
            paint_backdrop(painter, frame, self._checker if self._has_alpha or self.compare.active else None)
            painter.restore()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        if not self.has_image():
            painter.save()
            painter.resetTransform()
            paint_placeholder(painter, self.viewport().rect(), self.placeholder)
            painter.restore()
            return
        for overlay in list(self._overlays):
            painter.save()
            try:
                overlay(painter, self.zoom)
            except Exception:  # a panel's drawing bug must not break painting
                log.exception("Canvas overlay %r failed; removing it", overlay)
                self._overlays.remove(overlay)
            painter.restore()
        painter.save()
        painter.resetTransform()
        self.compare.paint(painter, lambda point: QPointF(self.mapFromScene(point)), QRectF(self.viewport().rect()))
        painter.restore()
