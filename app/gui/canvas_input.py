"""Mouse and keyboard on the canvas: wheel zoom, panning, the before/after divider, and the tool signals.

An event filter on the canvas (keys) and its viewport (mouse), so the gesture state (a pan in progress,
Space held, the divider being dragged) lives here and the canvas keeps only the view and its pictures.
Priority of a left press: the divider (when near it) > pan (Space held or hand tool on) > `clicked`.
The middle button always pans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Qt

from latent_studio.app.gui.compare import GRAB_DISTANCE, CompareMode

if TYPE_CHECKING:
    from latent_studio.app.gui.canvas import ImageCanvas

#: Zoom factor per wheel notch (120 units of angleDelta).
WHEEL_STEP = 1.118


class CanvasInput(QObject):
    def __init__(self, canvas: ImageCanvas) -> None:
        super().__init__(canvas)
        self._canvas = canvas
        self._space_down = False
        self._pan_from: QPointF | None = None
        self._dragging_divider = False
        canvas.installEventFilter(self)
        canvas.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if watched is self._canvas:
            if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                return self._on_key(event, kind == QEvent.Type.KeyPress)
            return False
        handler = {
            QEvent.Type.Wheel: self._on_wheel,
            QEvent.Type.MouseButtonPress: self._on_press,
            QEvent.Type.MouseButtonDblClick: self._on_press,
            QEvent.Type.MouseMove: self._on_move,
            QEvent.Type.MouseButtonRelease: self._on_release,
            QEvent.Type.Leave: self._on_leave,
        }.get(kind)
        return handler(event) if handler is not None else False

    # --- handlers (each returns True when it consumed the event) ------------------------------------------

    def _on_wheel(self, event) -> bool:
        steps = event.angleDelta().y() / 120.0
        if steps and self._canvas.has_image():
            self._canvas.set_zoom(self._canvas.zoom * WHEEL_STEP**steps, event.position())
        return True

    def _on_press(self, event) -> bool:
        canvas, button = self._canvas, event.button()
        canvas.setFocus()
        if button == Qt.MouseButton.LeftButton and self._near_divider(event.position()):
            self._dragging_divider = True
        elif button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and (self._space_down or canvas.hand_tool)
        ):
            self._pan_from = event.position()
            canvas.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif canvas.has_image():
            point = canvas.image_point(event.position())
            canvas.clicked.emit(point.x(), point.y(), button)
        return True

    def _on_move(self, event) -> bool:
        canvas, position = self._canvas, event.position()
        point = canvas.image_point(position)
        canvas.hovered.emit(point.x(), point.y())
        if self._dragging_divider:
            canvas.compare.set_divider(canvas.compare.divider_fraction_at(point.x()))
            canvas.viewport().update()
        elif self._pan_from is not None:
            delta = position - self._pan_from
            self._pan_from = position
            canvas.pan_by(delta.x(), delta.y())
        elif event.buttons() != Qt.MouseButton.NoButton and canvas.has_image():
            canvas.dragged.emit(point.x(), point.y(), event.buttons())
        else:
            near = self._near_divider(position)
            canvas.viewport().setCursor(Qt.CursorShape.SplitHCursor if near else self.idle_cursor())
        return True

    def _on_release(self, event) -> bool:
        canvas = self._canvas
        if self._dragging_divider or self._pan_from is not None:
            self._dragging_divider = False
            self._pan_from = None
            self.update_cursor()
        elif canvas.has_image():
            point = canvas.image_point(event.position())
            canvas.released.emit(point.x(), point.y(), event.button())
        return True

    def _on_leave(self, event) -> bool:
        self._canvas.hovered.emit(-1.0, -1.0)
        return False

    def _on_key(self, event, pressed: bool) -> bool:
        if event.key() != Qt.Key.Key_Space or event.isAutoRepeat():
            return False
        self._space_down = pressed
        self.update_cursor()
        return True

    # --- helpers -------------------------------------------------------------------------------------------

    def _near_divider(self, view_pos: QPointF) -> bool:
        compare = self._canvas.compare
        if not (compare.active and compare.mode is CompareMode.SPLIT):
            return False
        x = self._canvas.mapFromScene(QPointF(compare.divider_x(), 0)).x()
        return abs(view_pos.x() - x) <= GRAB_DISTANCE

    def idle_cursor(self) -> Qt.CursorShape:
        pans = self._canvas.hand_tool or self._space_down
        return Qt.CursorShape.OpenHandCursor if pans else Qt.CursorShape.CrossCursor

    def update_cursor(self) -> None:
        self._canvas.viewport().setCursor(self.idle_cursor())
