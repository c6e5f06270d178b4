"""The Sketch panel's drawing widget: draws mouse strokes into `SketchBuffers`, at a zoom, optionally over the result.

The pixels live in numpy (`sketch.state`), shown at `zoom` screen pixels per drawing pixel (mouse positions
are divided by it), so what the model gets is exactly what is shown. In overlay mode (`underlay` set) the
result is painted under the drawing, whose paper is then transparent. The wheel asks for a zoom step.
The widget only turns mouse events into segments, records an undo snapshot
when a stroke starts, and repaints; the panel listens to `changed` / `stroke_finished` to regenerate.
Ctrl+Z / Ctrl+Shift+Z while the drawing has focus undo strokes, not the editor's picture: the widget
claims those keys before the window's Undo action sees them (a ShortcutOverride it accepts).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from latent_studio.app.gui.image_convert import to_qimage
from latent_studio.app.gui.panels.sketch.state import ERASER, PEN, RGB, SketchBuffers, StrokeHistory


class SketchCanvas(QWidget):
    """Left button: the current tool; right button: the eraser. Emits `changed` after every drawn segment."""

    changed = Signal()  # the buffers changed (a segment, undo, clear, load)
    stroke_finished = Signal()  # the mouse was released after a stroke
    undo_requested = Signal()
    redo_requested = Signal()
    zoom_requested = Signal(int)  # wheel notches: + in, - out

    def __init__(self, buffers: SketchBuffers, history: StrokeHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buffers = buffers
        self.history = history
        self.tool = PEN
        self.pen_width = 4.0  # not `width`: that would hide QWidget.width()
        self.rgb: RGB = (200, 60, 40)
        self._last: QPointF | None = None
        self._stroke_tool = PEN
        self._image: QImage | None = None
        self.zoom = 1.0
        self.underlay: QImage | None = None  # overlay mode: the result, painted under the drawing
        self.underlay_opacity = 0.65  # how much of the drawing shows over the result
        self._fit_size()
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw here. Left button: the chosen tool; right button: eraser. Ctrl+Z undoes a stroke.")

    @property
    def is_drawing(self) -> bool:
        return self._last is not None

    def _fit_size(self) -> None:
        height, width = self.buffers.shape
        self.setFixedSize(max(1, round(width * self.zoom)), max(1, round(height * self.zoom)))

    def set_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        self._fit_size()
        self.update()

    def set_underlay(self, image: QImage | None) -> None:
        self.underlay = image
        self._image = None
        self.update()

    def refresh(self) -> None:
        """The buffers were changed from outside (undo, clear, load): show them and tell the panel."""
        self._image = None
        self._fit_size()
        self.update()
        self.changed.emit()

    def to_paper(self, position: QPointF) -> tuple[float, float]:
        """A widget position -> drawing coordinates (pixels of the paper)."""
        return position.x() / self.zoom, position.y() / self.zoom

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        notches = round(event.angleDelta().y() / 120)
        if notches:
            self.zoom_requested.emit(notches)
        event.accept()

    # --- mouse ---------------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        button = event.button()
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton) or self.is_drawing:
            return super().mousePressEvent(event)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._stroke_tool = self.tool if button == Qt.MouseButton.LeftButton else ERASER
        self.history.record(self.buffers.snapshot())
        self._last = event.position()
        self._segment(event.position(), event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._last is None:
            return super().mouseMoveEvent(event)
        self._segment(self._last, event.position())
        self._last = event.position()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._last is None:
            return super().mouseReleaseEvent(event)
        if event.position() != self._last:
            self._segment(self._last, event.position())
        self._last = None
        event.accept()
        self.stroke_finished.emit()

    def _segment(self, start: QPointF, end: QPointF) -> None:
        if self.buffers.draw(self.to_paper(start), self.to_paper(end), self._stroke_tool, self.pen_width, self.rgb):
            self._image = None
            self.update()
            self.changed.emit()

    # --- keys: undo/redo of strokes ------------------------------------------------------------------------

    def _undo_key(self, event: QKeyEvent) -> str | None:
        if event.matches(QKeySequence.StandardKey.Undo):
            return "undo"
        if event.matches(QKeySequence.StandardKey.Redo) or (
            event.key() == Qt.Key.Key_Z
            and event.modifiers() == (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        ):
            return "redo"
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._undo_key(event):
            event.accept()  # the key comes to keyPressEvent instead of the window's Undo/Redo action
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = self._undo_key(event)
        if key == "undo":
            self.undo_requested.emit()
        elif key == "redo":
            self.redo_requested.emit()
        else:
            return super().keyPressEvent(event)
        event.accept()

    def focusInEvent(self, event) -> None:  # noqa: N802 - the frame shows where Ctrl+Z goes
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.update()

    # --- painting ------------------------------------------------------------------------------------------

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        if self.zoom < 1:  # shrunk: filtered, so thin lines do not break up
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.underlay is not None:
            if self._image is None:
                self._image = to_qimage(self.buffers.display_rgba())
            painter.fillRect(self.rect(), QColor("white"))
            painter.drawImage(QRectF(self.rect()), self.underlay)
            painter.setOpacity(self.underlay_opacity)
            painter.drawImage(QRectF(self.rect()), self._image)
            painter.setOpacity(1.0)
        else:
            if self._image is None:
                self._image = to_qimage(self.buffers.display_rgb())
            painter.drawImage(QRectF(self.rect()), self._image)
        frame = QColor("#4a90d9") if self.hasFocus() else QColor("#5a5f68")
        painter.setPen(QPen(frame, 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
