"""The Sketch panel's work as job functions for the worker: generate a picture, extract or load a sketch.

`app.core.sketch` (and with it torch) is imported inside the jobs, on the worker thread, so the editor starts
without loading torch and the GUI package never imports it (an import-linter contract). Every job gets
copies of the buffers it reads, so the user can keep drawing while it runs. Drawings keep their shape: the
network runs with its long side at most WORKING_SIDE (live updates stay fast on 512 px paper) and the core
scales its picture back to the paper. Each job names the sketch subject (`app.core.sketch_flow.SUBJECTS`): its
generator, never run above its own short side, and, for extraction, its line style; a generate job may name the
user's fine-tuned model of that subject instead (`train sketch`), which the core resolves and verifies
(`sketch_flow.user_model_options`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from latent_studio.app.core.imageio import Picture, rgb8
from latent_studio.app.core.jobs import Progress
from latent_studio.app.core.sketch_flow import DEFAULT_SUBJECT, subject
from latent_studio.app.gui.panels.sketch.state import MAX_SIDE, SIZE, fitted_shape

if TYPE_CHECKING:  # typing only: keeps torch off the GUI's import path
    from latent_studio.app.core.device import ComputeSettings


#: The network's long side for live updates: larger paper is drawn at this size and the result scaled back up.
WORKING_SIDE = 256


def working_resolution(shape: tuple[int, int], working_side: int = WORKING_SIDE) -> int:
    """The network's short side for paper of `shape` (h, w): its long side at most `working_side`."""
    height, width = shape
    return max(1, round(min(height, width) * min(1.0, working_side / max(height, width))))


def generate_job(
    lines: np.ndarray,
    colour: np.ndarray | None,
    settings: ComputeSettings,
    subject_name: str = DEFAULT_SUBJECT,
    model: str | None = None,
) -> Callable[[Progress], np.ndarray]:
    """`run(progress) -> HxWx3 uint8` at the paper's size: the subject's model's picture of this sketch (and
    colour strokes), drawn at a working size whose long side is at most WORKING_SIDE and whose short side is at
    most the subject's own (face: 128). `model`: the user's sketch model of that subject to draw with instead
    (None: the shipped one; a missing model or one of another subject is the job's one-line error)."""
    lines = lines.copy()
    colour = None if colour is None else colour.copy()
    chosen = subject(subject_name)
    resolution = min(chosen.resolution, working_resolution(lines.shape))

    def run(progress: Progress) -> np.ndarray:
        from latent_studio.app.core.sketch_flow import SketchOptions, run_one, user_model_options  # the one flow

        if model is None:
            options = SketchOptions(resolution, chosen.name)
        else:
            options = user_model_options(model, chosen.name, resolution)
        return run_one(lines, colour, options, settings, progress)

    return run


def _fit(image: Image.Image, shape: tuple[int, int]) -> Image.Image:
    """`image` resized to `shape` (h, w)."""
    smaller = shape[0] < image.height
    return image.resize((shape[1], shape[0]), Image.Resampling.LANCZOS if smaller else Image.Resampling.BICUBIC)


def paper_for(height: int, width: int) -> tuple[int, int]:
    """The paper a picture of this size is drawn on: its own shape, the long side brought within 256..MAX_SIDE."""
    long_side = max(height, width)
    return fitted_shape(height, width, min(max(long_side, SIZE), MAX_SIDE))


def sketch_from_pixels(pixels: np.ndarray) -> np.ndarray:
    """A drawing file's pixels -> its ink layer (gray), keeping its shape (see `paper_for`)."""
    image = Image.fromarray(rgb8(pixels)).convert("L")
    shape = paper_for(image.height, image.width)
    return np.asarray(_fit(image, shape) if shape != (image.height, image.width) else image, np.uint8).copy()


def load_job(path: str | Path) -> Callable[[Progress], np.ndarray]:
    """`run(progress) -> HxW uint8`: a sketch image from disk as the drawing's ink layer, in its own shape."""

    def run(progress: Progress) -> np.ndarray:
        from latent_studio.app.core.imageio import load_image

        progress.report(0.1, "Loading the sketch")
        return sketch_from_pixels(load_image(path).pixels)

    return run


def extract_job(
    picture: Picture, long_side: int, settings: ComputeSettings, subject_name: str = DEFAULT_SUBJECT
) -> Callable[[Progress], np.ndarray]:
    """`run(progress) -> HxW uint8`: the photo's lines on paper of the photo's shape, its long side `long_side`
    (the photo is scaled first, so the lines have the thickness the subject's model was trained on), in the
    subject's line style."""
    pixels = picture.pixels

    def run(progress: Progress) -> np.ndarray:
        from latent_studio.app.core.sketch import photo_to_sketch

        image = Image.fromarray(rgb8(pixels))
        photo = np.asarray(_fit(image, fitted_shape(image.height, image.width, long_side)), np.uint8)
        progress.check()
        return photo_to_sketch(photo, settings, progress, subject_name)

    return run
