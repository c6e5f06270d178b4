"""The Colorize panel's work as job functions for the worker: colorize with hints, suggest colours at a point.

`app.core.colorize` (and with it torch) is imported inside the jobs, on the worker thread, so the editor
starts without loading torch and the GUI package never imports it (an import-linter contract).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Progress
from latent_studio.app.gui.panels.colorize.hints import RGB, HintPoint, rgb8

if TYPE_CHECKING:  # typing only: keeps torch off the GUI's import path
    from latent_studio.app.core.colorize import ColorizeResult
    from latent_studio.app.core.device import ComputeSettings


def _core_hints(points: Sequence[HintPoint]) -> list:
    from latent_studio.app.core.colorize import Hint

    return [Hint(point.x, point.y, point.rgb, point.path) for point in points]


def preview_job(
    source: Picture,
    points: Sequence[HintPoint],
    working_size: int,
    settings: ComputeSettings,
    vividness: float = 0.0,
    reference: Picture | None = None,
    model_name: str = "colorizer",
) -> Callable[[Progress], ColorizeResult]:
    """`run(progress) -> ColorizeResult`: the full-resolution colorization of `source` with these hints (and
    the colours of `reference`, matched by content) by the colorizer `model_name` (shipped or the user's own)."""
    points = tuple(points)

    def run(progress: Progress) -> ColorizeResult:
        from latent_studio.app.core.colorize_flow import ColorizeOptions, run_one  # the one colorize flow

        options = ColorizeOptions(working_size, vividness, tuple(_core_hints(points)), reference, model_name=model_name)
        return run_one(source, options, settings, progress)

    return run


def suggest_job(
    source: Picture,
    x: float,
    y: float,
    others: Sequence[HintPoint],
    count: int,
    working_size: int,
    settings: ComputeSettings,
    model_name: str = "colorizer",
) -> Callable[[Progress], list[RGB]]:
    """`run(progress) -> [rgb, ...]`: the likeliest colours at (x, y), given the other hints, of the colorizer
    `model_name` (shipped or the user's own: the model the preview runs)."""
    others = tuple(others)

    def run(progress: Progress) -> list[RGB]:
        from latent_studio.app.core.colorize import suggest_colors

        progress.check()
        hints = _core_hints(others)
        return suggest_colors(source, x, y, hints, count, working_size, settings, model_name=model_name)

    return run


def colour_at(picture: Picture, x: float, y: float) -> RGB:
    """The 8-bit sRGB colour of `picture` at pixel (x, y) (16-bit pictures scaled down)."""
    pixel = picture.pixels[int(y), int(x), :3]
    if pixel.dtype == np.uint16:
        pixel = (pixel.astype(np.uint32) + 128) // 257
    return rgb8(pixel)
