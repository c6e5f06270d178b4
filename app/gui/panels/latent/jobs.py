"""The Latent panel's work as job functions for the worker: load, detect, encode, preview, paste, sample, morph.

The face VAE lives in a `LatentModel` that only jobs touch, so it is used from the runner's one worker thread
and never from the GUI. `app.core.latent` (and with it torch) is imported inside the jobs: the editor starts
without loading torch, and the GUI package never imports it (an import-linter contract). Codes travel back
to the panel as opaque objects that it only hands to later jobs; what it shows are uint8 arrays it converts
to QImages itself, on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Progress
from latent_studio.app.gui.panels.latent.state import BoxTuple

if TYPE_CHECKING:  # typing only: keeps torch off the GUI's import path
    from latent_studio.app.core.device import ComputeSettings
    from latent_studio.app.core.latent import LatentEditor

Code = Any  # a (D,) torch tensor the panel holds without looking inside


@dataclass(frozen=True)
class DirectionInfo:
    name: str
    kind: str  # "attribute", "pca" or "user"
    description: str
    label: str = ""  # the slider's shipped name ("pc2 · light from the left"); empty: the name


@dataclass(frozen=True)
class Encoded:
    """A picture's face: its code, the crop it came from, and both faces at the model's size."""

    code: Code
    box: BoxTuple
    note: str
    face: np.ndarray  # the crop fed to the model (S, S, 3) uint8
    decoded: np.ndarray  # the unedited decode: the paste-back's reference
    directions: tuple[DirectionInfo, ...]
    crop: Any = None  # the core's FaceCrop (where the face sits in the photo): handed to the paste job


@dataclass(frozen=True)
class Recipe:
    """Which face to show: `base` blended towards `other` by `t`, then moved by the sliders (sigma units)."""

    base: Code
    other: Code | None = None
    t: float = 0.0
    sliders: tuple[tuple[str, float], ...] = ()


class LatentModel:
    """The loaded LatentEditor, kept between jobs; only job functions (the worker thread) call `editor`."""

    def __init__(self) -> None:
        self._editor: LatentEditor | None = None
        self._device: str | None = None

    def editor(self, settings: ComputeSettings) -> LatentEditor:
        from latent_studio.app.core.latent import LatentEditor

        if self._editor is None or self._device != settings.device:
            self._editor = LatentEditor.load(settings)
            self._device = settings.device
        return self._editor

    def directions(self) -> tuple[DirectionInfo, ...]:
        directions = self._editor.directions if self._editor is not None else None
        if directions is None:
            return ()
        return tuple(
            DirectionInfo(name, kind, description, directions.label(name))
            for name, kind, description in zip(directions.names, directions.kinds, directions.descriptions, strict=True)
        )


def _box(box: BoxTuple | None):
    from latent_studio.app.core.faces import Box

    return Box(*box) if box is not None else None


def load_job(model: LatentModel, settings: ComputeSettings) -> Callable[[Progress], tuple[DirectionInfo, ...]]:
    """`run(progress) -> directions`: load the VAE (verified, cached) so the sliders can be built."""

    def run(progress: Progress) -> tuple[DirectionInfo, ...]:
        model.editor(settings)
        return model.directions()

    return run


def detect_job(picture: Picture) -> Callable[[Progress], tuple[BoxTuple, str]]:
    """`run(progress) -> (box, note)`: the face crop box the core would choose (no model needed)."""

    def run(progress: Progress) -> tuple[BoxTuple, str]:
        from latent_studio.app.core.faces import find_face_box
        from latent_studio.app.core.imageio import rgb8

        box, _, note = find_face_box(rgb8(picture.pixels))
        return (box.x, box.y, box.size), note

    return run


def encode_job(
    model: LatentModel, settings: ComputeSettings, picture: Picture, box: BoxTuple | None
) -> Callable[[Progress], Encoded]:
    """`run(progress) -> Encoded`: the face in `box` (detected when None) as a code."""

    def run(progress: Progress) -> Encoded:
        editor = model.editor(settings)
        progress.check()
        encoded = editor.encode(picture.pixels, _box(box), progress)
        crop = encoded.crop
        return Encoded(
            encoded.code,
            (crop.box.x, crop.box.y, crop.box.size),
            crop.note,
            crop.pixels,
            editor.decode(encoded.code),
            model.directions(),
            crop,
        )

    return run


def load_face_job(model: LatentModel, settings: ComputeSettings, path: str) -> Callable[[Progress], Encoded]:
    """`run(progress) -> Encoded`: a second photo's face (detected), the far end of the interpolation."""

    def run(progress: Progress) -> Encoded:
        from latent_studio.app.core.imageio import load_image

        return encode_job(model, settings, load_image(Path(path)), None)(progress)

    return run


def preview_job(model: LatentModel, settings: ComputeSettings, recipe: Recipe) -> Callable[[Progress], np.ndarray]:
    """`run(progress) -> (S, S, 3) uint8`: the recipe's face (one decode, ~9 ms on a CPU)."""

    def run(progress: Progress) -> np.ndarray:
        from latent_studio.app.core.face_edit import face_code

        editor = model.editor(settings)
        return editor.decode(face_code(editor, recipe.base, recipe.sliders, recipe.other, recipe.t))

    return run


def paste_job(
    model: LatentModel, settings: ComputeSettings, recipe: Recipe, photo: Picture, encoded: Encoded, keep_detail: bool
) -> Callable[[Progress], Picture]:
    """`run(progress) -> Picture`: the photo with the recipe's face pasted where `encoded` found the face.

    With `keep_detail` only the change from the photo's own unedited decode is added; without, the decoded
    face itself replaces the face. The core's one flow (`app.core.face_edit`): a gray photo stays gray, and
    pixels outside the face mask never change.
    """

    def run(progress: Progress) -> Picture:
        from latent_studio.app.core.face_edit import face_code, paste_face

        editor = model.editor(settings)
        face = editor.decode(face_code(editor, recipe.base, recipe.sliders, recipe.other, recipe.t))
        progress.check()
        return paste_face(photo, encoded.crop, face, encoded.decoded if keep_detail else None)

    return run


def strip_job(
    model: LatentModel, settings: ComputeSettings, a: Code, b: Code, count: int
) -> Callable[[Progress], np.ndarray]:
    """`run(progress) -> (count, S, S, 3) uint8`: faces evenly spaced from a to b, both ends included."""

    def run(progress: Progress) -> np.ndarray:
        editor = model.editor(settings)
        return editor.decode(editor.interpolate(a, b, count))

    return run


def sample_job(model: LatentModel, settings: ComputeSettings, seed: int) -> Callable[[Progress], tuple[Code, tuple]]:
    """`run(progress) -> (code, directions)`: a random face's code, the same for the same seed."""

    def run(progress: Progress) -> tuple[Code, tuple[DirectionInfo, ...]]:
        editor = model.editor(settings)
        return editor.sample(seed), model.directions()

    return run


def define_job(
    model: LatentModel, settings: ComputeSettings, name: str, folder_with: str, folder_without: str
) -> Callable[[Progress], tuple[DirectionInfo, ...]]:
    """`run(progress) -> directions`: a new user direction from two folders, saved with the user's directions."""

    def run(progress: Progress) -> tuple[DirectionInfo, ...]:
        editor = model.editor(settings)
        editor.define_direction(name, folder_with, folder_without, progress)
        return model.directions()

    return run
