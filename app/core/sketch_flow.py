"""Sketch to image, one flow: the option checks, one drawing, and the batch adapter.

`latent-studio sketch`, `latent-studio batch sketch` (through `app.core.batch_setup`) and the Sketch panel's jobs
only call this module, so the network's size is checked the same way everywhere (before, the CLI refused
`--resolution 5000` while `batch sketch --size 5000` ran, and the batch refused `--size 0`, the CLI's "the
sketch's own size"). The compute lives in `app.core.sketch`; it and torch are imported inside the functions, so
the GUI may import this module on its own thread.

- `SketchOptions`: the subject (`SUBJECTS`: scene, face, clothing; each its own generator) and the network's short
  side (None: the subject's own, the scale it was trained at; 0: the drawing's own size, capped at `MAX_SIDE`);
- `check_options(options, flag)`: the checks that need no model, one LatentStudioError each;
- `run_one(lines, colour_strokes, options, settings, progress)`: one drawing -> HxWx3 uint8 picture;
- `batch_tool(recipe, settings)`: the batch engine's adapter (`app.core.batch_tools.SketchTool`), made and loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.jobs import Progress
from latent_studio.models.errors import LatentStudioError
from latent_studio.models.sketch.subjects import DEFAULT_SUBJECT, SUBJECTS, subject

__all__ = [  # the subjects re-exported for the GUI, which reaches the models only through the core
    "DEFAULT_SUBJECT",
    "MAX_SIDE",
    "SUBJECTS",
    "SketchOptions",
    "batch_tool",
    "check_options",
    "run_one",
    "sketch_settings",
    "subject",
    "user_model_options",
]

MAX_SIDE = 2048  # the network never runs on a longer side than this (app.core.sketch.SketchSettings.max_side)


@dataclass(frozen=True)
class SketchOptions:
    resolution: int | None = None  # the network's short side in pixels; None: the subject's own; 0: the drawing's
    subject: str = DEFAULT_SUBJECT  # which generator: a name in SUBJECTS
    model: str | None = None  # a user's fine-tuned sketch model (`train sketch`) instead: `user_model_options`


def check_options(options: SketchOptions, flag: str = "--resolution") -> None:
    """Raise the user's error for an unknown subject, or a resolution that is neither 0 (the drawing's size) nor 1
    to MAX_SIDE pixels (`flag`: the option's name as the user typed it: `--resolution` for `sketch`, `--size` for
    `batch sketch`)."""
    subject(options.subject)  # an unknown name: one line listing the known ones
    resolution = options.resolution or 0
    if resolution < 0:
        raise LatentStudioError(f"{flag} must be 0 (the sketch's own size) or a positive number of pixels.")
    if resolution > MAX_SIDE:
        raise LatentStudioError(f"{flag} must be at most {MAX_SIDE} pixels, not {resolution}.")


def sketch_settings(options: SketchOptions, settings: ComputeSettings):
    """The core's settings: the subject's generator, at the subject's short side unless the options name one."""
    from latent_studio.app.core.sketch import SketchSettings

    chosen = subject(options.subject)
    resolution = chosen.resolution if options.resolution is None else options.resolution or None
    model = options.model or chosen.model
    return SketchSettings(compute=settings, resolution=resolution, max_side=MAX_SIDE, model=model)


def user_model_options(model: str, asked_subject: str | None, resolution: int | None = None) -> SketchOptions:
    """Options that draw with the user's fine-tuned sketch model `model` (`latent-studio train sketch`): the subject
    is its record's (its size and line style); a different `asked_subject` (`--subject`) is one line."""
    from latent_studio.app.core import user_models

    found = user_models.user_file(model, "sketch")  # no such model, or a colorizer: one line
    own = found.subject or DEFAULT_SUBJECT
    if asked_subject is not None and subject(asked_subject).name != own:
        raise LatentStudioError(
            f"The model '{model}' was fine-tuned for the subject '{own}', not '{asked_subject}'; "
            "leave --subject out or choose another model."
        )
    return SketchOptions(resolution, own, model)


def run_one(
    lines: np.ndarray,
    colour_strokes: np.ndarray | None,
    options: SketchOptions = SketchOptions(),
    settings: ComputeSettings = ComputeSettings(),
    progress: Progress | None = None,
) -> np.ndarray:
    """Black lines on white [+ RGBA colour strokes] -> HxWx3 uint8 picture (options checked here too)."""
    from latent_studio.app.core.sketch import sketch_to_image

    check_options(options)
    return sketch_to_image(lines, colour_strokes, sketch_settings(options, settings), progress)


def batch_tool(recipe, settings: ComputeSettings):
    """The batch adapter for `recipe` (`app.core.batch_setup.ToolRecipe`: its `size` is the resolution, its
    `subject` the generator), checked, with its model loaded and verified."""
    from latent_studio.app.core.batch_tools import SketchTool

    tool = SketchTool(settings, recipe.size, subject=recipe.subject)
    tool.load()
    return tool
