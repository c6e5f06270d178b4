"""Colorize, one flow: the option checks, one picture, and the batch adapter.

`latent-studio colorize`, `latent-studio batch colorize` (through `app.core.batch_setup`) and the Colorize
panel's jobs only call this module, so a check or a default written here holds for all three (before, the batch
tool checked the vividness but not the working size, so `batch colorize --size 5000` failed every picture
instead of stopping with one line). The compute lives in `app.core.colorize`; it and torch are imported inside
the functions, so the GUI may import this module on its own thread.

- `ColorizeOptions`: what the user chose (working size, vividness, hints, reference photo, model name);
- `check_options(options, picture=None)`: every check that needs no model, one LatentStudioError each; with the
  picture, also that it is RGB(A) and that every hint lies on it;
- `run_one(picture, options, settings, progress)`: one picture at full resolution -> ColorizeResult;
- `batch_tool(recipe, settings)`: the batch engine's adapter (`app.core.batch_tools.ColorizeTool`, which checks
  its options with `check_options`), made and loaded for the batch set-up (`app.core.batch_setup`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from latent_studio.app.core.device import ComputeSettings
from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Progress
from latent_studio.models.errors import LatentStudioError

if TYPE_CHECKING:
    from latent_studio.app.core.colorize import ColorizeResult, Hint

MODEL_NAME = "colorizer"
MIN_WORKING_SIZE, MAX_WORKING_SIZE = 64, 1024
MAX_VIVIDNESS = 1.0
MAX_SCRIBBLE_POINTS = 256  # a scribble hint is a short polyline


@dataclass(frozen=True)
class ColorizeOptions:
    """A colorization request apart from the picture (hints are `app.core.colorize.Hint`s, in its pixels)."""

    working_size: int = 256
    vividness: float = 0.0
    hints: tuple[Hint, ...] = ()
    reference: Picture | None = field(default=None, compare=False)  # a colour photo, colours matched by content
    model_name: str = MODEL_NAME


def check_vividness(vividness: float) -> None:
    """Raise the user's error for a vividness outside 0-1 (before any work starts)."""
    if not 0.0 <= vividness <= MAX_VIVIDNESS:
        raise LatentStudioError(f"The vividness must be between 0 and {MAX_VIVIDNESS:g}, not {vividness:g}.")


def check_working_size(working_size: int) -> None:
    if not MIN_WORKING_SIZE <= working_size <= MAX_WORKING_SIZE:
        raise LatentStudioError(
            f"The working size must be between {MIN_WORKING_SIZE} and {MAX_WORKING_SIZE} pixels, not {working_size}."
        )


def check_hints(hints: Sequence[Hint], picture: Picture | None = None) -> None:
    """Each hint's colour and point count; with `picture`, that each of its points lies on the picture."""
    for hint in hints:
        if len(hint.points) > MAX_SCRIBBLE_POINTS:
            raise LatentStudioError(
                f"A scribble hint may have at most {MAX_SCRIBBLE_POINTS} points, not {len(hint.points)}."
            )
        if picture is not None:
            for x, y in hint.points:
                check_point(picture, x, y, "A colour hint")
        if len(hint.rgb) != 3 or any(not 0 <= int(v) <= 255 for v in hint.rgb):
            raise LatentStudioError(f"A colour hint's colour must be three values from 0 to 255, not {hint.rgb}.")


def check_point(picture: Picture, x: float, y: float, what: str) -> None:
    if not (0 <= x < picture.width and 0 <= y < picture.height):
        raise LatentStudioError(
            f"{what} at ({x:g}, {y:g}) lies outside the {picture.width} x {picture.height} picture."
        )


def check_picture(picture: Picture) -> None:
    if picture.pixels.ndim != 3 or picture.pixels.shape[2] not in (3, 4):
        raise LatentStudioError("Colorization needs an RGB or RGBA picture.")


def check_options(options: ColorizeOptions, picture: Picture | None = None) -> None:
    """Every check of `options` that needs no model (the CLI runs it before reading the picture, the batch set-up
    before loading the model); with `picture`, also the picture itself and the hints' points on it."""
    check_vividness(options.vividness)
    check_working_size(options.working_size)
    if picture is not None:
        check_picture(picture)
    check_hints(options.hints, picture)
    if options.reference is not None:
        from latent_studio.app.core.colorize_reference import check_reference

        check_reference(options.reference)


def load_reference(path: str) -> Picture:
    """The reference photo, read and checked (unreadable, too small or gray: the user's error, one line)."""
    from latent_studio.app.core.colorize_reference import check_reference
    from latent_studio.app.core.imageio import load_image

    picture = load_image(path)
    check_reference(picture)
    return picture


def run_one(
    picture: Picture,
    options: ColorizeOptions,
    settings: ComputeSettings = ComputeSettings(),
    progress: Progress | None = None,
) -> ColorizeResult:
    """Colorize one picture at full resolution with these options (checked here too)."""
    from latent_studio.app.core.colorize import colorize

    check_options(options, picture)
    return colorize(
        picture,
        options.hints,
        options.working_size,
        settings,
        progress,
        model_name=options.model_name,
        vividness=options.vividness,
        reference=options.reference,
    )


def batch_tool(recipe, settings: ComputeSettings):
    """The batch adapter (`app.core.batch_tools.ColorizeTool`) for `recipe` (`app.core.batch_setup.ToolRecipe`: size,
    vividness, reference, model), its options checked and its model loaded and verified (a bad option or weights
    file is the set-up's one error, not every item's)."""
    from latent_studio.app.core.batch_tools import ColorizeTool

    tool = ColorizeTool(settings, recipe.size, recipe.vividness, recipe.reference, model=recipe.model)
    tool.load()
    return tool
