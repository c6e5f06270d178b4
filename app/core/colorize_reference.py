"""Colour like this photo, the picture-level glue: check the reference photo, hash it, drop its alpha, and hand
its pixels to the model-level matching (`models.colorizer.reference`, tensors in, tensors out)."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.tensors import pixels_to_tensor, split_alpha
from latent_studio.models.colorizer.reference import PreparedReference, prepare_reference_rgb, thinning_step
from latent_studio.models.errors import LatentStudioError

MIN_REFERENCE_SIDE = 32


def reference_digest(picture: Picture) -> str:
    """A short content hash of the reference's pixels (a changed reference changes it)."""
    digest = hashlib.sha256(str(picture.pixels.shape).encode())
    digest.update(np.ascontiguousarray(picture.pixels).tobytes())
    return digest.hexdigest()[:16]


def check_reference(picture: Picture) -> None:
    """Raise the user's error for a reference that cannot give colours (before any work)."""
    if picture.pixels.ndim != 3 or picture.pixels.shape[2] not in (3, 4):
        raise LatentStudioError("The reference picture must be an RGB or RGBA picture.")
    if min(picture.width, picture.height) < MIN_REFERENCE_SIDE:
        raise LatentStudioError(
            f"The reference picture is too small ({picture.width} x {picture.height}): it needs at least "
            f"{MIN_REFERENCE_SIDE} pixels on each side."
        )
    if picture.is_gray:
        raise LatentStudioError("The reference picture is gray: it has no colours to give.")


def prepare_reference(
    picture: Picture, model, working_size: int, device: torch.device | str = "cpu"
) -> PreparedReference:
    """The reference's descriptors and chroma at `working_size` (a colour photo, any size up to the read limit)."""
    check_reference(picture)
    rgb, _ = split_alpha(picture.pixels)
    step = thinning_step(picture.height, picture.width, working_size)
    return prepare_reference_rgb(
        pixels_to_tensor(rgb[::step, ::step], device),
        model,
        working_size,
        reference_digest(picture),
        photo_shape=(picture.height, picture.width),
    )
