"""The Latent panel's state without Qt: slider values in sigma units, and the face crop box with its gestures.

`SliderState` holds one value per direction (in sigma units, clamped to +-`SIGMA_RANGE`) and knows how the
integer QSlider ticks map to sigmas, which values matter (the non-zero ones) and how to name an edit for the
undo stack. `CropBox` holds the square crop in image pixels and the rules of dragging it (inside: move; near
a corner: resize about the opposite corner; elsewhere: draw a new square), so both are tested
synchronously. Boxes are `(x, y, size)` tuples, like `app.core.faces.Box`, which the jobs build from them
(the GUI does not import the core's OpenCV code just to hold three numbers).
"""

from __future__ import annotations

from collections.abc import Iterable

SIGMA_RANGE = 3.0  # sliders go from -3 to +3 standard deviations of the training faces
TICKS_PER_SIGMA = 100  # a QSlider is integer: 0.01 sigma per tick
MIN_BOX = 16  # image pixels: smaller crops hold too little of a face for a 64x64 model

BoxTuple = tuple[int, int, int]  # x, y, side in image pixels


class SliderState:
    """One value per direction name, in sigma units; every mutator returns whether anything changed."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.values: dict[str, float] = {name: 0.0 for name in names}

    @property
    def names(self) -> list[str]:
        return list(self.values)

    def set_names(self, names: Iterable[str]) -> None:
        """The directions on offer changed (loaded, or a user direction added): keep the values of those that stay."""
        self.values = {name: self.values.get(name, 0.0) for name in names}

    def set(self, name: str, value: float) -> bool:
        if name not in self.values:
            return False
        value = round(min(max(float(value), -SIGMA_RANGE), SIGMA_RANGE), 2)
        changed = value != self.values[name]
        self.values[name] = value
        return changed

    def reset(self) -> bool:
        changed = any(self.values.values())
        self.values = dict.fromkeys(self.values, 0.0)
        return changed

    def active(self) -> dict[str, float]:
        """The sliders that move the code (what `LatentEditor.edit` needs)."""
        return {name: value for name, value in self.values.items() if value}

    def key(self) -> tuple[tuple[str, float], ...]:
        """Hashable and order-free: two states with the same non-zero values give the same face."""
        return tuple(sorted(self.active().items()))

    def describe(self, limit: int = 3) -> str:
        """'young +1.50, female -0.80' (the largest moves first), for the undo step's name."""
        moves = sorted(self.active().items(), key=lambda item: -abs(item[1]))
        text = ", ".join(f"{name} {value:+.2f}" for name, value in moves[:limit])
        return text + (f" and {len(moves) - limit} more" if len(moves) > limit else "")

    @staticmethod
    def to_ticks(value: float) -> int:
        return round(value * TICKS_PER_SIGMA)

    @staticmethod
    def from_ticks(ticks: int) -> float:
        return ticks / TICKS_PER_SIGMA


class CropBox:
    """The square face crop in image pixels and the drag gestures that change it.

    The box may reach past the picture's edges (the core edge-pads those parts), but its centre stays on
    the picture, so it can never be dragged away out of sight.
    """

    def __init__(self, width: int = 0, height: int = 0) -> None:
        self.width, self.height = width, height
        self.box: BoxTuple | None = None
        self._mode: str | None = None  # "move" or "resize" while a drag is on
        self._anchor = (0.0, 0.0)  # move: pointer minus box origin; resize: the fixed corner
        self._changed = False

    def set_picture_size(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.box = None

    def set_box(self, box: BoxTuple | None) -> bool:
        box = self._clamped(*box) if box is not None else None
        changed = box != self.box
        self.box = box
        return changed

    @property
    def max_size(self) -> int:
        return max(MIN_BOX, self.width, self.height)

    def set_size(self, size: int) -> bool:
        """Resize about the centre (the size slider)."""
        if self.box is None:
            return False
        x, y, side = self.box
        cx, cy = x + side / 2, y + side / 2
        size = min(max(int(size), MIN_BOX), self.max_size)
        return self.set_box((round(cx - size / 2), round(cy - size / 2), size))

    # --- gestures (image pixels; `radius` is the grab distance in image pixels) --------------------------

    def hit(self, x: float, y: float, radius: float) -> str | None:
        """'corner' near a corner, 'inside' within the box, else None."""
        if self.box is None:
            return None
        bx, by, side = self.box
        for cx, cy in ((bx, by), (bx + side, by), (bx, by + side), (bx + side, by + side)):
            if abs(x - cx) <= radius and abs(y - cy) <= radius:
                return "corner"
        return "inside" if bx <= x <= bx + side and by <= y <= by + side else None

    def press(self, x: float, y: float, radius: float) -> str | None:
        """Start a drag: 'move' inside, 'resize' at a corner, 'draw' a new box elsewhere on the picture."""
        if not (0 <= x <= self.width and 0 <= y <= self.height) and self.hit(x, y, radius) is None:
            return None
        hit, box = self.hit(x, y, radius), self.box  # a hit means there is a box
        self._changed = False
        if hit == "inside" and box is not None:
            bx, by, _ = box
            self._mode, self._anchor = "move", (x - bx, y - by)
        elif hit == "corner" and box is not None:
            bx, by, side = box
            far_x = bx + side if x < bx + side / 2 else bx  # the corner opposite the grabbed one stays put
            far_y = by + side if y < by + side / 2 else by
            self._mode, self._anchor = "resize", (far_x, far_y)
        else:
            self._mode, self._anchor = "resize", (x, y)  # a new box grows from the press point
            return "draw"
        return self._mode

    def drag(self, x: float, y: float) -> bool:
        if self._mode is None:
            return False
        if self._mode == "move":
            if self.box is None:  # the picture changed under the drag
                return False
            _, _, side = self.box
            box = (round(x - self._anchor[0]), round(y - self._anchor[1]), side)
        else:
            ax, ay = self._anchor
            side = max(MIN_BOX, round(max(abs(x - ax), abs(y - ay))))
            box = (round(ax if x >= ax else ax - side), round(ay if y >= ay else ay - side), side)
        changed = self.set_box(box)
        self._changed |= changed
        return changed

    def release(self) -> bool:
        """End the drag; True when it changed the box (the face should be encoded again)."""
        changed = self._mode is not None and self._changed
        self._mode, self._changed = None, False
        return changed

    @property
    def dragging(self) -> bool:
        return self._mode is not None

    def _clamped(self, x: int, y: int, side: int) -> BoxTuple:
        side = min(max(int(side), MIN_BOX), self.max_size)
        cx = min(max(x + side / 2, 0), self.width)
        cy = min(max(y + side / 2, 0), self.height)
        return round(cx - side / 2), round(cy - side / 2), side
