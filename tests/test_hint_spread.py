"""Local colour hints (issue #13): a hint recolours its own region up to the region's edges and nothing else;
hints combine; deleting one removes its effect exactly; a scribble is one hint along a polyline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_studio.app.core.colorize import Hint, colorize
from latent_studio.app.core.imageio import Picture
from latent_studio.models.color import rgb_to_lab
from latent_studio.models.colorizer.hint_spread import spread_hints
from latent_studio.models.errors import LatentStudioError

GREEN = (40, 200, 40)


def two_regions(height: int = 64, width: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """Lightness (a bright left half, a dark right half) and an automatic ab that differs between them, as the
    network's does between regions (the spreading prices crossing both)."""
    lightness = np.full((height, width), 70.0, np.float32)
    lightness[:, width // 2 :] = 20.0
    auto = np.zeros((2, height, width), np.float32)
    auto[1, :, : width // 2], auto[:, :, width // 2 :] = 20.0, np.array([10.0, -20.0])[:, None, None]
    return lightness, auto


def test_a_correction_fills_its_region_and_stops_at_the_edge():
    lightness, auto = two_regions()
    out = spread_hints(lightness, auto, [(((20.0, 30.0),), -50.0, 50.0)], (1.0, 1.0))
    change = np.linalg.norm(out - auto, axis=0)
    assert out[:, 30, 20] == pytest.approx([-50.0, 50.0], abs=1e-3)  # the hint's own colour at its point
    assert change[:, 4:44].mean() > 0.9 * np.hypot(50, 30)  # the whole correction across its region
    assert change[:, 52:].mean() < 0.05 * change[:, 4:44].mean()  # next to nothing past the edge
    assert change[:, 64:].max() < 0.03 * change[:, 4:44].mean()


def test_two_hints_in_different_regions_each_change_only_theirs_and_both_combine():
    lightness, auto = two_regions()
    left = (((20.0, 30.0),), -50.0, 50.0)
    right = (((75.0, 30.0),), 40.0, -40.0)
    only_left = spread_hints(lightness, auto, [left], (1.0, 1.0))
    only_right = spread_hints(lightness, auto, [right], (1.0, 1.0))
    both = spread_hints(lightness, auto, [left, right], (1.0, 1.0))
    assert np.abs(both[:, :, :40] - only_left[:, :, :40]).max() < 5.0
    assert np.abs(both[:, :, 60:] - only_right[:, :, 60:]).max() < 5.0
    assert np.abs(only_left[:, :, 60:] - auto[:, :, 60:]).max() < 3.0  # each leaves the other's region alone
    assert spread_hints(lightness, auto, [], (1.0, 1.0)) is auto  # no hints: the automatic result itself


def test_a_scribble_covers_its_line():
    lightness = np.full((64, 96), 50.0, np.float32)
    auto = np.zeros((2, 64, 96), np.float32)
    out = spread_hints(lightness, auto, [(((10.0, 10.0), (80.0, 50.0)), 30.0, 0.0)], (1.0, 1.0))
    for t in np.linspace(0, 1, 9):  # every point along the polyline carries the scribble's colour
        x, y = 10 + 70 * t, 10 + 40 * t
        assert out[0, int(y), int(x)] == pytest.approx(30.0, abs=0.5)


def _picture() -> Picture:
    y, x = np.mgrid[0:72, 0:96]
    level = np.where(x < 48, 190 + 5 * np.sin(y / 4.0), 60 + 5 * np.cos(y / 3.0)).astype(np.uint8)
    return Picture(np.repeat(level[..., None], 3, axis=2), is_gray=True)


def _ab(picture: Picture) -> torch.Tensor:
    rgb = torch.from_numpy(picture.pixels[..., :3].copy()).permute(2, 0, 1)[None].float() / 255
    return rgb_to_lab(rgb)[0, 1:]


def test_the_shipped_colorizer_hint_is_local_strong_and_deleted_exactly():
    picture = _picture()
    auto = colorize(picture).picture
    hinted = colorize(picture, [Hint(20, 36, GREEN)]).picture
    change = (_ab(hinted) - _ab(auto)).norm(dim=0)
    inside, outside = change[:, 4:40].mean(), change[:, 56:].mean()
    assert inside > 30 and outside < 0.1 * inside  # the network alone leaked about half its change outside
    deleted = colorize(picture, []).picture  # add then delete: the same as never having had it
    assert np.array_equal(deleted.pixels, auto.pixels)
    scribble = colorize(picture, [Hint(10, 10, GREEN, path=((10, 10), (30, 60)))]).picture
    assert (_ab(scribble) - _ab(auto)).norm(dim=0)[:, 4:40].mean() > 30


def test_a_scribble_point_off_the_picture_is_refused():
    with pytest.raises(LatentStudioError, match=r"A colour hint at \(500, 10\) lies outside the 96 x 72 picture"):
        colorize(_picture(), [Hint(10, 10, GREEN, path=((10, 10), (500, 10)))])
