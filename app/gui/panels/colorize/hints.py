"""The colour hints of the Colorize panel: a plain model (`HintSet`) and how its markers look on the canvas.

`HintSet` holds the points, their colours and the selection, and knows the gestures' rules (a press near a
marker grabs it, elsewhere adds one; dragging moves the grabbed one; a right click deletes), so all of that
is tested without Qt events. The panel only forwards canvas signals to it and re-runs the model when it
reports a change. Points are in full-resolution image pixels, like `app.core.colorize.Hint`.

A new hint is *provisional* until it has a colour of its own: it shows the colour under it until the model's
top suggestion there arrives and replaces it (`adopt`); a colour the user picks ends that. A press with the
scribble modifier starts a *scribble* instead: dragging draws its polyline (`path`), one hint of one colour.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF

from latent_studio.app.core.colorize_flow import MAX_SCRIBBLE_POINTS  # the core's bound: points past it are ignored

RGB = tuple[int, int, int]


def rgb8(colour) -> RGB:
    """Any three channel values (numpy, floats, a QColor's tuple) as the plain int triple a hint keeps."""
    red, green, blue = colour
    return int(red), int(green), int(blue)


MARKER_RADIUS = 6.0  # screen pixels
GRAB_RADIUS = 10.0  # screen pixels: a press this close to a marker grabs it instead of adding a new one


@dataclass(frozen=True)
class HintPoint:
    x: float
    y: float
    rgb: RGB
    path: tuple[tuple[float, float], ...] = ()  # a scribble's polyline (from (x, y)); empty for a point
    provisional: bool = False  # the colour is a stand-in until the model's suggestion arrives


class HintSet:
    """Hint points in image pixels, one of them possibly selected; every mutator returns whether it changed."""

    def __init__(self) -> None:
        self.points: list[HintPoint] = []
        self.selected: int | None = None
        self.grabbed: int | None = None  # the point a left-button drag is moving
        self.moved = False  # whether the current drag has moved it
        self.scribbling = False  # the current drag draws the grabbed scribble instead of moving it

    # --- gestures (canvas coordinates in image pixels; radius in image pixels) ------------------------------

    def press(
        self, x: float, y: float, radius: float, rgb: RGB, provisional: bool = False, scribble: bool = False
    ) -> bool:
        """Left press: grab (and select) the marker under the pointer, else add a new hint there and grab it
        (with `scribble`, always a new scribble, drawn by the drag). True when a hint was added."""
        index = None if scribble else self.hit(x, y, radius)
        added = index is None
        if added:
            index = self.add(x, y, rgb, provisional, ((x, y),) if scribble else ())
        self.selected, self.grabbed, self.moved, self.scribbling = index, index, False, scribble
        return added

    def drag(self, x: float, y: float) -> bool:
        """Move the grabbed hint, or extend the scribble being drawn; True when it changed."""
        if self.grabbed is not None and self.scribbling:
            point = self.points[self.grabbed]
            if point.path[-1] == (x, y) or len(point.path) >= MAX_SCRIBBLE_POINTS:
                return False
            self.points[self.grabbed] = replace(point, path=(*point.path, (x, y)))
            self.moved = True
            return True
        if self.grabbed is None or not self.move(self.grabbed, x, y):
            return False
        self.moved = True
        return True

    def release(self) -> bool:
        """End a drag; True when it moved a hint (the model should see its new place)."""
        moved = self.grabbed is not None and self.moved
        self.grabbed, self.moved, self.scribbling = None, False, False
        return moved

    def right_press(self, x: float, y: float, radius: float) -> bool:
        """Right press: delete the marker under the pointer; True when one was deleted."""
        index = self.hit(x, y, radius)
        return index is not None and self.remove(index)

    # --- edits ---------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.points)

    def add(self, x: float, y: float, rgb: RGB, provisional: bool = False, path: tuple = ()) -> int:
        self.points.append(HintPoint(x, y, rgb8(rgb), tuple(path), provisional))
        self.selected = len(self.points) - 1
        return self.selected

    def hit(self, x: float, y: float, radius: float) -> int | None:
        """The topmost (newest) point within `radius` image pixels of (x, y)."""
        for index in range(len(self.points) - 1, -1, -1):
            point = self.points[index]
            if (point.x - x) ** 2 + (point.y - y) ** 2 <= radius * radius:
                return index
        return None

    def select(self, index: int | None) -> bool:
        changed = index != self.selected
        self.selected = index
        return changed

    def move(self, index: int, x: float, y: float) -> bool:
        point = self.points[index]
        if (point.x, point.y) == (x, y):
            return False
        path = tuple((px + x - point.x, py + y - point.y) for px, py in point.path)  # a scribble moves whole
        self.points[index] = replace(point, x=x, y=y, path=path)
        return True

    def recolour(self, index: int, rgb: RGB) -> bool:
        """The user's colour for a hint (it is no longer provisional)."""
        colour = rgb8(rgb)
        point = self.points[index]
        if point.rgb == colour and not point.provisional:
            return False
        self.points[index] = replace(point, rgb=colour, provisional=False)
        return point.rgb != colour

    def adopt(self, index: int, rgb: RGB) -> bool:
        """The model's suggestion becomes a provisional hint's colour; True when that changed the hint."""
        point = self.points[index]
        if not point.provisional:
            return False
        self.points[index] = replace(point, rgb=rgb8(rgb), provisional=False)
        return True

    def remove(self, index: int) -> bool:
        del self.points[index]
        self.grabbed, self.moved = None, False
        if self.selected == index:
            self.selected = None
        elif self.selected is not None and self.selected > index:
            self.selected -= 1
        return True

    def clear(self) -> bool:
        changed = bool(self.points)
        self.points, self.selected, self.grabbed, self.moved, self.scribbling = [], None, None, False, False
        return changed

    @property
    def selected_point(self) -> HintPoint | None:
        return self.points[self.selected] if self.selected is not None else None

    def without(self, index: int | None) -> list[HintPoint]:
        """Every point but `index` (the model's suggestions for a point must not just echo its own hint)."""
        return [point for i, point in enumerate(self.points) if i != index]


def clamp_to(x: float, y: float, width: int, height: int) -> tuple[float, float]:
    """A point kept on the picture (hints dragged past the edge stop at it), as whole pixels."""
    return float(min(max(int(x), 0), width - 1)), float(min(max(int(y), 0), height - 1))


def paint_hints(painter: QPainter, zoom: float, hints: HintSet) -> None:
    """Each hint as a disc of its colour with a white and a black ring (visible on any picture); the selected
    one larger with an accent ring. Sizes are divided by the zoom so markers keep their size on screen."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scale = 1.0 / max(zoom, 1e-6)
    for index, point in enumerate(hints.points):
        centre = QPointF(point.x + 0.5, point.y + 0.5)
        selected = index == hints.selected
        if len(point.path) > 1:  # a scribble: its line, outlined like the markers
            line = QPolygonF([QPointF(px + 0.5, py + 0.5) for px, py in point.path])
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for colour, width in ((QColor(0, 0, 0), 6.0), (QColor(*point.rgb), 3.0)):
                pen = QPen(colour, width * scale)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                painter.drawPolyline(line)
        radius = (MARKER_RADIUS + (2.0 if selected else 0.0)) * scale
        painter.setBrush(QColor(*point.rgb))
        painter.setPen(QPen(QColor(0, 0, 0), 3.5 * scale))
        painter.drawEllipse(centre, radius, radius)
        painter.setPen(QPen(QColor(255, 255, 255), 1.5 * scale))
        painter.drawEllipse(centre, radius, radius)
        if selected:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor("#4c8dff"), 2.0 * scale))
            ring = radius + 3.0 * scale
            painter.drawEllipse(centre, ring, ring)
