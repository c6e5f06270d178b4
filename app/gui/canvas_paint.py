"""Drawing helpers for the canvas that do not depend on its state: the backdrop, the checkerboard, the hint.

All of them paint in viewport (screen) coordinates, so the checkerboard squares and the shadow keep their
size at every zoom level.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPixmap

BACKGROUND = QColor(30, 32, 36)
PLACEHOLDER_TEXT = QColor(140, 146, 156)
_SHADOW = ((6, 18), (4, 28), (2, 40), (1, 60))  # (spread in px, alpha): a soft shadow lifts the picture


def checker_brush(square: int = 8) -> QBrush:
    """The usual light/mid gray checkerboard that shows where a picture is transparent."""
    tile = QPixmap(2 * square, 2 * square)
    tile.fill(QColor(204, 204, 204))
    painter = QPainter(tile)
    painter.fillRect(0, 0, square, square, QColor(153, 153, 153))
    painter.fillRect(square, square, square, square, QColor(153, 153, 153))
    painter.end()
    return QBrush(tile)


def paint_backdrop(painter: QPainter, frame: QRect, checker: QBrush | None) -> None:
    """The picture's shadow, and the checkerboard under it when it may be transparent (`checker` given)."""
    for spread, alpha in _SHADOW:
        painter.fillRect(frame.adjusted(-spread, -spread + 2, spread, spread + 2), QColor(0, 0, 0, alpha))
    if checker is not None:
        painter.setBrushOrigin(0, 0)
        painter.fillRect(frame, checker)


def paint_placeholder(painter: QPainter, rect: QRect, text: str) -> None:
    """The hint shown while no picture is open."""
    painter.setPen(PLACEHOLDER_TEXT)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
