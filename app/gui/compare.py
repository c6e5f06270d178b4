"""Before/after comparison inside the canvas: the original drawn over the current picture.

The original lives in the same QGraphicsScene as the current picture, so zoom and pan are shared by
construction (nothing to keep in sync). In "split" mode it is clipped to the left of a divider the user can
drag; in "before" mode (the backslash toggle) it covers the whole picture.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem, QGraphicsScene

#: How close (in screen pixels) a press must be to the divider to grab it.
GRAB_DISTANCE = 8.0


class CompareMode(StrEnum):
    OFF = "off"
    SPLIT = "split"
    BEFORE = "before"


class CompareLayer:
    """The "before" picture, its clip rectangle and the divider position (a fraction of the width)."""

    def __init__(self, scene: QGraphicsScene) -> None:
        self._clip = QGraphicsRectItem()
        self._clip.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)
        self._clip.setPen(QPen(Qt.PenStyle.NoPen))
        self._clip.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self._clip.setZValue(1)
        self._item = QGraphicsPixmapItem(self._clip)
        scene.addItem(self._clip)
        self.mode = CompareMode.OFF
        self.divider = 0.5
        self._extent = QRectF()
        self._update()

    @property
    def has_before(self) -> bool:
        return not self._item.pixmap().isNull()

    @property
    def active(self) -> bool:
        return self.has_before and self.mode is not CompareMode.OFF

    @property
    def extent(self) -> QRectF:
        return QRectF(self._extent)

    def set_pixmap(self, pixmap: QPixmap | None) -> None:
        self._item.setPixmap(pixmap if pixmap is not None else QPixmap())
        self._update()

    def set_extent(self, rect: QRectF) -> None:
        """The area the comparison spans: the union of the current and the original picture."""
        self._extent = QRectF(rect)
        self._update()

    def set_mode(self, mode: CompareMode) -> None:
        self.mode = CompareMode(mode)
        self._update()

    def set_divider(self, fraction: float) -> None:
        self.divider = min(max(fraction, 0.0), 1.0)
        self._update()

    def set_smooth(self, smooth: bool) -> None:
        mode = Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation
        self._item.setTransformationMode(mode)

    def divider_x(self) -> float:
        """The divider's scene (= image pixel) x coordinate."""
        return self._extent.left() + self._extent.width() * self.divider

    def divider_fraction_at(self, scene_x: float) -> float:
        width = self._extent.width() or 1.0
        return (scene_x - self._extent.left()) / width

    def _update(self) -> None:
        extent = self._extent.united(self._item.boundingRect())
        if self.mode is CompareMode.SPLIT:
            right = self._extent.left() + self._extent.width() * self.divider
            self._clip.setRect(QRectF(extent.left(), extent.top(), right - extent.left(), extent.height()))
        else:
            self._clip.setRect(extent)
        self._clip.setVisible(self.active)

    def paint(self, painter: QPainter, to_view: Callable[[QPointF], QPointF], view: QRectF) -> None:
        """Divider and tags; `to_view` maps image to viewport coordinates, the painter is in viewport ones."""
        if not self.active:
            return
        extent = self._extent if not self._extent.isEmpty() else self._item.boundingRect()
        x = self.divider_x()
        self.paint_divider(painter, to_view(QPointF(x, extent.top())), to_view(QPointF(x, extent.bottom())))
        self.paint_labels(painter, to_view(extent.topLeft()), to_view(extent.topRight()), view)

    def paint_divider(self, painter: QPainter, top_view: QPointF, bottom_view: QPointF) -> None:
        """Draw the divider line and its handle; the painter is in viewport coordinates."""
        if not (self.active and self.mode is CompareMode.SPLIT):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(0, 0, 0, 110), 3))
        painter.drawLine(top_view, bottom_view)
        painter.setPen(QPen(QColor(255, 255, 255, 230), 1.5))
        painter.drawLine(top_view, bottom_view)
        middle = (top_view + bottom_view) * 0.5
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
        painter.drawEllipse(middle, 11, 11)
        painter.setPen(QPen(QColor(40, 44, 52), 1.6))
        for sign in (-1, 1):  # two small chevrons: < >
            tip = middle + QPointF(sign * 7, 0)
            painter.drawLine(tip, tip + QPointF(-sign * 3.5, -3.5))
            painter.drawLine(tip, tip + QPointF(-sign * 3.5, 3.5))
        painter.restore()

    def paint_labels(self, painter: QPainter, top_left: QPointF, top_right: QPointF, view: QRectF) -> None:
        """Small "Before" / "After" tags at the top corners of the picture, kept inside the `view` rectangle."""
        if not self.active:
            return
        tags = [("Before", top_left, False)]
        if self.mode is CompareMode.SPLIT:
            tags.append(("After", top_right, True))
        painter.save()
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for text, corner, right_aligned in tags:
            width, height = metrics.horizontalAdvance(text) + 14, metrics.height() + 6
            x = min(corner.x(), view.right()) - width - 8 if right_aligned else max(corner.x(), view.left()) + 8
            box = QRectF(x, max(corner.y(), view.top()) + 8, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(20, 22, 26, 170))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor(235, 237, 240))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
