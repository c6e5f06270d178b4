"""Reference colorization: colours matched by content, hints on top, one prepared reference for a batch.

Behaviour tests use the shipped colorizer at a small working size (its encoder describes the content).
"""

from __future__ import annotations

import numpy as np
import pytest

from latent_studio.app.core.batch_tools import ColorizeTool
from latent_studio.app.core.colorize import Hint, colorize
from latent_studio.app.core.colorize_reference import prepare_reference, reference_digest
from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import Picture
from latent_studio.models.registry import default_registry

CPU = ComputeSettings(device="cpu")
SIZE = 96
RED, GREEN = (200, 60, 50), (60, 170, 60)


def textured_scene(flip: bool = False) -> np.ndarray:
    """Left half smooth and red, right half finely striped and green, both of the same mean lightness
    (mirrored when `flip`): only texture tells the halves apart, not lightness or position."""
    height, width = 96, 128
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = RED
    stripes = np.where((np.arange(width // 2) // 2) % 2 == 0, 1.35, 0.65)[None, :, None]
    pixels[:, width // 2 :] = np.clip(np.array(GREEN)[None, None] * stripes, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(pixels[:, ::-1]) if flip else pixels


def gray_of(pixels: np.ndarray) -> Picture:
    level = (pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).round().astype(np.uint8)
    return Picture(np.repeat(level[..., None], 3, axis=2), is_gray=True)


def redness(pixels: np.ndarray) -> float:
    """Mean R - G: positive for red, negative for green."""
    return float((pixels[..., 0].astype(np.float32) - pixels[..., 1]).mean())


def test_colours_follow_content_not_position():
    reference = Picture(textured_scene(flip=True))  # mirrored: red is now on the right
    target = gray_of(textured_scene())
    auto = colorize(target, (), SIZE, CPU).picture.pixels
    result = colorize(target, (), SIZE, CPU, reference=reference).picture.pixels
    smooth, striped = result[:, 8:56], result[:, 72:120]
    assert redness(smooth) > 40 and redness(striped) < -20  # the smooth half red, the striped half green
    assert not np.array_equal(result, auto)


def test_hints_apply_on_top_of_the_reference():
    reference = Picture(textured_scene(flip=True))
    target = gray_of(textured_scene())
    plain = colorize(target, (), SIZE, CPU, reference=reference).picture.pixels
    hinted = colorize(target, [Hint(20, 48, (40, 60, 220))], SIZE, CPU, reference=reference).picture.pixels
    blue = lambda p: float(p[40:56, 12:28, 2].astype(np.float32).mean() - p[40:56, 12:28, 0].mean())  # noqa: E731
    assert blue(hinted) > blue(plain) + 30


def test_a_prepared_reference_gives_the_same_result_and_changes_the_batch_key():
    reference = Picture(textured_scene(flip=True))
    target = gray_of(textured_scene())
    prepared = prepare_reference(reference, default_registry().load_model("colorizer"), SIZE)
    once = colorize(target, (), SIZE, CPU, reference=reference).picture.pixels
    again = colorize(target, (), SIZE, CPU, reference=prepared).picture.pixels
    np.testing.assert_array_equal(once, again)
    # the batch tool gives the same pixels, and its resume key names the reference's content
    tool = ColorizeTool(CPU, SIZE, reference=reference)
    (batched,) = tool.process([target], _progress())
    assert np.abs(batched.pixels.astype(int) - once.astype(int)).max() <= 1
    plain_key = ColorizeTool(CPU, SIZE).settings_key()
    changed = Picture(textured_scene())
    assert tool.settings_key() != plain_key
    assert tool.settings_key() != ColorizeTool(CPU, SIZE, reference=changed).settings_key()
    assert reference_digest(changed) in ColorizeTool(CPU, SIZE, reference=changed).settings_key()


def _progress():
    from latent_studio.app.core.jobs import Progress

    return Progress()


@pytest.mark.parametrize("alpha", [False, True])
def test_reference_with_alpha_and_huge_size_is_thinned(alpha):
    """A reference far bigger than the working size is thinned before any float work; alpha is ignored."""
    big = np.repeat(np.repeat(textured_scene(flip=True), 12, axis=0), 12, axis=1)  # 1152 x 1536
    if alpha:
        big = np.concatenate([big, np.full((*big.shape[:2], 1), 255, np.uint8)], axis=2)
    result = colorize(gray_of(textured_scene()), (), SIZE, CPU, reference=Picture(big)).picture.pixels
    assert redness(result[:, 8:56]) > 40
