"""Simple headless image operations: rotate, flip, desaturate.

They are plain job functions `(picture, progress) -> Picture` with no Qt and no torch, so the editor has real
operations to run through its worker, undo and redo before the neural tools exist, and the CLI or tests can
call them directly. Every operation keeps the alpha channel and the bit depth (uint8 stays uint8, uint16
stays uint16) and returns a new Picture: the input is never modified, because the undo history holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from latent_studio.app.core.imageio import Picture
from latent_studio.app.core.jobs import Progress

#: Rec. 709 / sRGB luminance weights, the same ones the colour module uses for "gray".
_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """(..., 3 or 4) pixels -> (...) float32 Rec. 709 luma of the colour channels: what Desaturate keeps (the Latent
    tools show a gray photo's face with the same rule)."""
    return rgb[..., :3].astype(np.float32) @ _LUMA


#: Rows converted per progress step in `desaturate` (keeps cancellation responsive on huge images).
_ROWS_PER_STEP = 256


def rotate_left(picture: Picture, progress: Progress) -> Picture:
    """Rotate 90 degrees counter-clockwise."""
    progress.check()
    return picture.with_pixels(np.ascontiguousarray(np.rot90(picture.pixels, k=1)))


def rotate_right(picture: Picture, progress: Progress) -> Picture:
    """Rotate 90 degrees clockwise."""
    progress.check()
    return picture.with_pixels(np.ascontiguousarray(np.rot90(picture.pixels, k=-1)))


def flip_horizontal(picture: Picture, progress: Progress) -> Picture:
    """Mirror left to right."""
    progress.check()
    return picture.with_pixels(np.ascontiguousarray(picture.pixels[:, ::-1]))


def flip_vertical(picture: Picture, progress: Progress) -> Picture:
    """Mirror top to bottom."""
    progress.check()
    return picture.with_pixels(np.ascontiguousarray(picture.pixels[::-1]))


def desaturate(picture: Picture, progress: Progress) -> Picture:
    """Replace colour by its luminance (alpha untouched), in row blocks so that progress and cancel work."""
    pixels = picture.pixels
    top = np.iinfo(pixels.dtype).max
    out = np.empty_like(pixels)
    height = pixels.shape[0]
    for start in range(0, height, _ROWS_PER_STEP):
        progress.report(start / max(height, 1), "Desaturating")
        block = pixels[start : start + _ROWS_PER_STEP]
        gray = np.clip(luma(block) + 0.5, 0, top).astype(pixels.dtype)
        out[start : start + _ROWS_PER_STEP, :, :3] = gray[..., None]
        if pixels.shape[2] == 4:
            out[start : start + _ROWS_PER_STEP, :, 3] = block[..., 3]
    return picture.with_pixels(out, is_gray=True)


@dataclass(frozen=True)
class ImageOperation:
    """One entry of the editor's Image menu (and of anything else that lists operations)."""

    name: str
    label: str
    run: Callable[[Picture, Progress], Picture]


#: In menu order.
IMAGE_OPERATIONS: tuple[ImageOperation, ...] = (
    ImageOperation("rotate_left", "Rotate 90° Left", rotate_left),
    ImageOperation("rotate_right", "Rotate 90° Right", rotate_right),
    ImageOperation("flip_horizontal", "Flip Horizontal", flip_horizontal),
    ImageOperation("flip_vertical", "Flip Vertical", flip_vertical),
    ImageOperation("desaturate", "Desaturate", desaturate),
)
