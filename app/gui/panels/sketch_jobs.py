"""The Sketch panel's work as job functions for the worker: generate a picture, extract or load a sketch.

`app.core.sketch` (and with it torch) is imported inside the jobs, on the worker thread, so the editor starts
without loading torch and the GUI package never imports it (an import-linter contract). Every job gets
copies of the buffers it reads, so the user can keep drawing while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from latent_studio.app.core.imageio import Picture, rgb8
from latent_studio.app.core.jobs import Progress
from latent_studio.app.gui.panels.sketch_state import PAPER

if TYPE_CHECKING:  # typing only: keeps torch off the GUI's import path
    from latent_studio.app.core.device import ComputeSettings


def generate_job(lines: np.ndarray, colour: np.ndarray | None,
                 settings: "ComputeSettings") -> Callable[[Progress], np.ndarray]:
    """`run(progress) -> HxWx3 uint8`: the model's picture for this sketch (and colour strokes)."""
    lines = lines.copy()
    colour = None if colour is None else colour.copy()

    def run(progress: Progress) -> np.ndarray:
        from latent_studio.app.core.sketch import SketchSettings, sketch_to_image

        return sketch_to_image(lines, colour, SketchSettings(compute=settings), progress)

    return run


def _fit(image: Image.Image, size: int) -> Image.Image:
    """`image` scaled to fit a size x size square, aspect kept."""
    scale = size / max(image.width, image.height)
    shape = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(shape, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)


def on_paper(lines: np.ndarray, size: int) -> np.ndarray:
    """HxW lines (at most size x size) centred on a size x size sheet of blank paper."""
    sheet = np.full((size, size), PAPER, np.uint8)
    top, left = (size - lines.shape[0]) // 2, (size - lines.shape[1]) // 2
    sheet[top : top + lines.shape[0], left : left + lines.shape[1]] = lines
    return sheet


def sketch_from_pixels(pixels: np.ndarray, size: int) -> np.ndarray:
    """A drawing file's pixels -> size x size ink layer (gray, aspect kept, centred on white)."""
    gray = _fit(Image.fromarray(rgb8(pixels)).convert("L"), size)
    return on_paper(np.asarray(gray, np.uint8), size)


def load_job(path: str | Path, size: int) -> Callable[[Progress], np.ndarray]:
    """`run(progress) -> size x size uint8`: a sketch image from disk as the drawing's ink layer."""

    def run(progress: Progress) -> np.ndarray:
        from latent_studio.app.core.imageio import load_image

        progress.report(0.1, "Loading the sketch")
        return sketch_from_pixels(load_image(path).pixels, size)

    return run


def extract_job(picture: Picture, size: int, settings: "ComputeSettings") -> Callable[[Progress], np.ndarray]:
    """`run(progress) -> size x size uint8`: the photo's lines, drawn at the drawing's scale.

    The photo is scaled down first, so the lines have the thickness the model was trained on, and only
    then centred on paper (extracting after padding would draw the padding's edge as a line).
    """
    pixels = picture.pixels

    def run(progress: Progress) -> np.ndarray:
        from latent_studio.app.core.sketch import photo_to_sketch

        photo = np.asarray(_fit(Image.fromarray(rgb8(pixels)), size), np.uint8)
        progress.check()
        return on_paper(photo_to_sketch(photo, settings, progress), size)

    return run
