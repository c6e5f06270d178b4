"""The Sketch panel's own drawing surface: a fixed-size widget that draws mouse strokes into `SketchBuffers`.

The pixels live in numpy (`sketch_state`), one drawing pixel per logical screen pixel, so what the model
gets is exactly what is shown. The widget only turns mouse events into segments, records an undo snapshot
when a stroke starts, and repaints; the panel listens to `changed` / `stroke_finished` to regenerate.
Ctrl+Z / Ctrl+Shift+Z while the drawing has focus undo strokes, not the editor's picture: the widget
claims those keys before the window's Undo action sees them (a ShortcutOverride it accepts).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from latent_studio.app.gui.image_convert import to_qimage
from latent_studio.app.gui.panels.sketch_state import ERASER, PEN, RGB, SketchBuffers, StrokeHistory


class SketchCanvas(QWidget):
    """Left button: the current tool; right button: the eraser. Emits `changed` after every drawn segment."""

    changed = Signal()  # the buffers changed (a segment, undo, clear, load)
    stroke_finished = Signal()  # the mouse was released after a stroke
    undo_requested = Signal()
    redo_requested = Signal()

    def __init__(self, buffers: SketchBuffers, history: StrokeHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buffers = buffers
        self.history = history
        self.tool = PEN
        self.width = 4.0
        self.rgb: RGB = (200, 60, 40)
        self._last: QPointF | None = None
        self._stroke_tool = PEN
        self._image: QImage | None = None
        self.setFixedSize(buffers.size, buffers.size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw here. Left button: the chosen tool; right button: eraser. Ctrl+Z undoes a stroke.")

    @property
    def is_drawing(self) -> bool:
        return self._last is not None

    def refresh(self) -> None:
        """The buffers were changed from outside (undo, clear, load): show them and tell the panel."""
        self._image = None
        self.update()
        self.changed.emit()

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
        if not self.is_drawing:
            return super().mouseMoveEvent(event)
        self._segment(self._last, event.position())
        self._last = event.position()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.is_drawing:
            return super().mouseReleaseEvent(event)
        if event.position() != self._last:
            self._segment(self._last, event.position())
        self._last = None
        event.accept()
        self.stroke_finished.emit()

    def _segment(self, start: QPointF, end: QPointF) -> None:
        if self.buffers.draw((start.x(), start.y()), (end.x(), end.y()), self._stroke_tool, self.width, self.rgb):
            self.refresh()

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

    def event(self, event: QEvent) -> bool:  # noqa: A003 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and self._undo_key(event):
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
        if self._image is None:
            self._image = to_qimage(self.buffers.display_rgb())
        painter = QPainter(self)
        painter.drawImage(QRectF(self.rect()), self._image)
        frame = QColor("#4a90d9") if self.hasFocus() else QColor("#5a5f68")
        painter.setPen(QPen(frame, 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
