"""Sketch colour strokes stay local (issue #15): a stroke recolours its own region, up to the drawn lines."""

from __future__ import annotations

import numpy as np
import pytest

from latent_studio.app.core.sketch import sketch_to_image
from latent_studio.models.manifest import read_manifest, weights_dir
from latent_studio.models.sketch.spec import SPEC
from latent_studio.models.sketch.strokes import _walk, grid_strokes

SHIPPED = SPEC.weights_file in read_manifest()["files"] and (weights_dir() / SPEC.weights_file).is_file()


def two_rooms(height: int = 192, width: int = 320) -> np.ndarray:
    """Non-square paper split by a vertical line; a second line in the left room."""
    lines = np.full((height, width), 255, np.uint8)
    lines[:, width // 2 - 2 : width // 2 + 2] = 0
    lines[40:44, 20:140] = 0
    return lines


def test_a_walk_covers_exactly_its_part_stepping_between_neighbours():
    part = np.zeros((9, 9), bool)
    part[2, 1:8] = part[2:7, 4] = part[6, 2:6] = True  # a T with a foot: branches to return along
    walk = _walk(part)
    cells = {(int(y), int(x)) for x, y in walk}
    assert cells == {tuple(c) for c in np.argwhere(part)}
    steps = np.abs(np.diff(np.array(walk), axis=0)).sum(axis=1)
    assert np.all(steps == 1.0)  # 4-neighbour steps only: the polyline never leaves the part


def test_strokes_are_split_by_colour_and_by_part_in_a_fixed_order():
    layer = np.zeros((40, 60, 4), np.uint8)
    layer[4:10, 4:20] = (200, 30, 30, 255)
    layer[30:36, 4:20] = (200, 30, 30, 255)  # the same red, a second part
    layer[4:10, 40:56] = (30, 30, 200, 255)
    strokes = grid_strokes(layer, (20, 30))
    assert len(strokes) == 3 and strokes == grid_strokes(layer.copy(), (20, 30))
    assert [b > 0 for _, _, b in strokes].count(True) == 2  # two red (yellowish b), one blue (b < 0)
    assert grid_strokes(np.zeros((40, 60, 4), np.uint8), (20, 30)) == []


@pytest.mark.skipif(not SHIPPED, reason="the shipped sketch model is not in weights/")
def test_a_colour_stroke_colours_its_region_and_stops_at_a_line():
    lines = two_rooms()
    colour = np.zeros((*lines.shape, 4), np.uint8)
    colour[90:98, 40:110] = (30, 60, 230, 255)  # a blue stroke in the left room
    plain = sketch_to_image(lines, None)
    stroked = sketch_to_image(lines, colour)
    change = np.abs(plain.astype(int) - stroked).sum(axis=2)
    assert plain.shape == stroked.shape == (192, 320, 3)
    assert change[60:150, 30:130].mean() > 60  # the left room turns blue around the stroke
    assert stroked[94, 70, 2] > 200 and stroked[94, 70, 0] < 120
    assert change[:, 175:].mean() < 1.0  # the room beyond the line is (nearly) untouched
    # deleting the stroke restores the picture exactly
    assert np.array_equal(sketch_to_image(lines, np.zeros_like(colour)), plain)
    assert np.array_equal(sketch_to_image(lines, None), plain)
