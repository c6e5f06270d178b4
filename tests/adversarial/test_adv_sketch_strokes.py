"""A colour layer that is really a photo (thousands of one-colour specks) must not stall the sketch for minutes:
only the largest MAX_STROKES parts are spread (before the cap, a BSDS500 photo as --colors took 48 s)."""

from __future__ import annotations

import time

import numpy as np

from latent_studio.app.core.sketch import sketch_to_image
from latent_studio.models.sketch.strokes import MAX_STROKES, grid_strokes


def speckled_layer(side: int = 320, tile: int = 4) -> np.ndarray:
    """Opaque tiles of random colours: (side / tile)^2 parts, a few large blocks among them."""
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 8, (side // tile, side // tile, 3)).astype(np.uint8) * 32
    layer = np.repeat(np.repeat(tiles, tile, axis=0), tile, axis=1)
    layer[40:120, 40:200] = (220, 40, 40)  # one big red block: the largest part
    return np.dstack([layer, np.full((side, side), 255, np.uint8)])


def test_a_speckled_colour_layer_keeps_only_its_largest_parts():
    layer = speckled_layer()
    strokes = grid_strokes(layer, (160, 160))
    assert len(strokes) == MAX_STROKES
    assert any(len(points) > 1000 and a > 40 for points, a, _ in strokes)  # the red block is kept
    assert strokes == grid_strokes(layer.copy(), (160, 160))  # deterministic


def test_sketch_with_a_speckled_colour_layer_finishes_quickly():
    lines = np.full((320, 320), 255, np.uint8)
    start = time.perf_counter()
    picture = sketch_to_image(lines, speckled_layer())
    assert picture.shape == (320, 320, 3) and time.perf_counter() - start < 15
