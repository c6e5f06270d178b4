"""The Sketch panel's drawing as plain numpy: the ink and colour layers, how a stroke segment is drawn, undo.

Kept free of Qt so strokes, the eraser and undo/redo are tested synchronously, and so the buffers the
generate job receives are exactly what the user sees. The ink layer is what `app.core.sketch.sketch_to_image`
takes (HxW uint8, 0 = ink, 255 = paper); the colour layer is its optional RGBA strokes (painted where
alpha is 255). Undo keeps whole snapshots: at 256x256 a step costs 320 KB, and a snapshot cannot drift out
of step with the buffers the way replayed strokes could after a "load sketch" or "photo to sketch".

The paper takes any aspect ratio with its long side up to `MAX_SIDE` (a loaded drawing keeps its shape; new
paper comes in the `PAPER_SIZES`); a snapshot carries its shape, so undo also undoes a change of paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 256  # the default paper's side in pixels: the model's own working size, so nothing is resampled
MAX_SIDE = 512  # the paper's longest side
MIN_SIDE = 16
#: New paper: (width, height) in pixels.
PAPER_SIZES = ((256, 256), (384, 256), (256, 384), (512, 384), (384, 512), (512, 512))
PAPER, INK = 255, 0
PEN, ERASER, COLOUR = "pen", "eraser", "colour"
TOOLS = (PEN, ERASER, COLOUR)
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Snapshot:
    """Both layers at one moment (copies: later drawing never changes a snapshot)."""

    lines: np.ndarray
    colour: np.ndarray


def segment_coverage(
    shape: tuple[int, int], start: tuple[float, float], end: tuple[float, float], width: float
) -> tuple[tuple[slice, slice], np.ndarray] | None:
    """How much a round-capped segment of `width` covers each pixel near it: (region, coverage in [0, 1]).

    Coverage falls off over one pixel at the edge, so lines are smooth without a drawing library. Points
    are in pixel units with (0, 0) the top-left corner of the first pixel. None if nothing is covered.
    """
    radius = max(width, 1.0) / 2.0
    (x0, y0), (x1, y1) = start, end
    left, right = int(np.floor(min(x0, x1) - radius - 1)), int(np.ceil(max(x0, x1) + radius + 1))
    top, bottom = int(np.floor(min(y0, y1) - radius - 1)), int(np.ceil(max(y0, y1) + radius + 1))
    left, top = max(left, 0), max(top, 0)
    right, bottom = min(right, shape[1]), min(bottom, shape[0])
    if left >= right or top >= bottom:
        return None
    ys, xs = np.mgrid[top:bottom, left:right].astype(np.float32) + 0.5  # pixel centres
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    t = np.zeros_like(xs) if length2 == 0 else np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0.0, 1.0)
    distance = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))
    coverage = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    return (slice(top, bottom), slice(left, right)), coverage


class SketchBuffers:
    """The ink layer (HxW, 255 = paper) and the colour layer (HxWx4 RGBA, transparent = unpainted)."""

    def __init__(self, height: int = SIZE, width: int | None = None) -> None:
        self.new_paper(height, height if width is None else width)

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) in pixels."""
        return self.lines.shape

    def new_paper(self, height: int, width: int) -> None:
        """Blank paper of this size (any aspect, each side MIN_SIDE..MAX_SIDE)."""
        check_paper_shape((height, width))
        self.lines = np.full((height, width), PAPER, np.uint8)
        self.colour = np.zeros((height, width, 4), np.uint8)

    @property
    def is_blank(self) -> bool:
        return bool((self.lines == PAPER).all() and not self.colour[..., 3].any())

    @property
    def has_colour(self) -> bool:
        return bool(self.colour[..., 3].any())

    def colour_strokes(self) -> np.ndarray | None:
        """A copy of the colour layer for the model, or None when nothing is painted (the model's no-hint case)."""
        return self.colour.copy() if self.has_colour else None

    def draw(
        self, start: tuple[float, float], end: tuple[float, float], tool: str, width: float, rgb: RGB = (0, 0, 0)
    ) -> bool:
        """Draw one segment with `tool`; False if it lies wholly outside the drawing."""
        found = segment_coverage(self.lines.shape, start, end, width)
        if found is None:
            return False
        region, coverage = found
        if tool == PEN:
            paper = np.rint(PAPER * (1.0 - coverage)).astype(np.uint8)
            np.minimum(self.lines[region], paper, out=self.lines[region])
        elif tool == ERASER:
            paper = np.rint(PAPER * coverage).astype(np.uint8)
            np.maximum(self.lines[region], paper, out=self.lines[region])
            self.colour[region][coverage > 0.5] = 0
        elif tool == COLOUR:
            # Hard-edged: the model reads a hint as painted or not (alpha > 0.5), so soft edges would only lie.
            self.colour[region][coverage > 0.5] = (*rgb, 255)
        else:
            raise ValueError(f"unknown sketch tool {tool!r}")
        return True

    def clear(self) -> None:
        self.lines[...] = PAPER
        self.colour[...] = 0

    def set_lines(self, lines: np.ndarray) -> None:
        """Replace the ink layer (a loaded or extracted sketch, any paper shape); the colour layer is kept when
        the shape is the same, else it starts empty on the new paper."""
        if lines.ndim != 2 or lines.dtype != np.uint8:
            raise ValueError(f"expected HxW uint8 lines, got {lines.shape} {lines.dtype}")
        check_paper_shape(lines.shape)
        if lines.shape != self.lines.shape:
            self.colour = np.zeros((*lines.shape, 4), np.uint8)
        self.lines = lines.copy()

    def snapshot(self) -> Snapshot:
        return Snapshot(self.lines.copy(), self.colour.copy())

    def restore(self, snapshot: Snapshot) -> None:
        self.lines = snapshot.lines.copy()
        self.colour = snapshot.colour.copy()

    def display_rgb(self, colour_opacity: float = 0.55) -> np.ndarray:
        """What the drawing canvas shows: the ink on paper with the colour strokes laid over, HxWx3 uint8."""
        rgb = np.repeat(self.lines[..., None], 3, axis=2).astype(np.float32)
        alpha = (self.colour[..., 3:4].astype(np.float32) / 255.0) * colour_opacity
        rgb = rgb * (1.0 - alpha) + self.colour[..., :3].astype(np.float32) * alpha
        ink = self.lines[..., None] < 128  # lines stay on top of the colour, as on a colouring book page
        rgb = np.where(ink, self.lines[..., None].astype(np.float32), rgb)
        return np.ascontiguousarray(np.rint(rgb).astype(np.uint8))

    def display_rgba(self, colour_opacity: float = 0.55) -> np.ndarray:
        """The drawing without its paper, for laying over the result: ink black and as opaque as it is dark,
        colour strokes at `colour_opacity`, paper transparent. HxWx4 uint8."""
        rgba = np.zeros((*self.lines.shape, 4), np.uint8)
        painted = self.colour[..., 3] > 0
        rgba[painted] = self.colour[painted]
        rgba[painted, 3] = round(255 * colour_opacity)
        ink = PAPER - self.lines
        inked = ink > 0
        rgba[inked, :3] = 0
        rgba[inked, 3] = np.maximum(rgba[inked, 3], ink[inked])
        return rgba


def check_paper_shape(shape: tuple[int, ...]) -> None:
    if len(shape) != 2 or not all(MIN_SIDE <= side <= MAX_SIDE for side in shape):
        raise ValueError(f"paper must be {MIN_SIDE} to {MAX_SIDE} pixels a side, not {shape}")


def fitted_shape(height: int, width: int, long_side: int = MAX_SIDE) -> tuple[int, int]:
    """A picture's shape scaled so its long side is `long_side` (aspect kept, each side at least MIN_SIDE)."""
    scale = long_side / max(height, width)
    return max(MIN_SIDE, round(height * scale)), max(MIN_SIDE, round(width * scale))


class StrokeHistory:
    """Undo/redo of whole strokes (and of clear / load / photo-to-sketch) as snapshots taken before each change.

    Call `record(buffers.snapshot())` just before changing the buffers; `undo(current)` returns the snapshot
    to restore (and keeps `current` for redo). Only the newest `limit` steps are kept.
    """

    def __init__(self, limit: int = 50) -> None:
        self.limit = limit
        self._undo: list[Snapshot] = []
        self._redo: list[Snapshot] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def record(self, before: Snapshot) -> None:
        self._undo.append(before)
        del self._undo[: -self.limit]
        self._redo.clear()

    def undo(self, current: Snapshot) -> Snapshot | None:
        if not self._undo:
            return None
        self._redo.append(current)
        return self._undo.pop()

    def redo(self, current: Snapshot) -> Snapshot | None:
        if not self._redo:
            return None
        self._undo.append(current)
        return self._redo.pop()

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
