"""numpy pixels <-> QImage, with copies, so Qt never points into an array that numpy may free or change.

Only the GUI thread calls these (QImage/QPixmap work belongs there). 8-bit pictures map to RGB888/RGBA8888;
16-bit ones to RGBX64/RGBA64 so the screen shows them without first throwing bits away. Alpha is kept
straight (not premultiplied), matching what `app.core.imageio` loads and saves.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

_FORMATS = {
    (np.dtype(np.uint8), 3): QImage.Format.Format_RGB888,
    (np.dtype(np.uint8), 4): QImage.Format.Format_RGBA8888,
    (np.dtype(np.uint16), 4): QImage.Format.Format_RGBA64,
}


def to_display_image(pixels: np.ndarray) -> QImage:
    """For the canvas: the pixels converted straight into the 32-bit format the screen uses.

    One conversion pass instead of a copy followed by QPixmap's own conversion: on a 12-megapixel result this
    halves the time the GUI thread is blocked when the result is shown.
    """
    view = to_qimage(pixels, copy=False)
    target = QImage.Format.Format_ARGB32 if view.hasAlphaChannel() else QImage.Format.Format_RGB32
    return view.convertToFormat(target)  # a new image that owns its pixels: `pixels` may go away after this


def to_qimage(pixels: np.ndarray, copy: bool = True) -> QImage:
    """A QImage holding its own copy of HxWx3/4 uint8 or uint16 `pixels` (`copy=False`: a view for the caller's
    scope)."""
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"expected HxWx3/4 uint8 or uint16 pixels, got {pixels.shape} {pixels.dtype}")
    if pixels.dtype == np.uint16 and pixels.shape[2] == 3:
        # Qt has no 48-bit RGB format: pad with an opaque alpha and call it RGBX64.
        opaque = np.full((*pixels.shape[:2], 1), 65535, dtype=np.uint16)
        pixels = np.concatenate([pixels, opaque], axis=2)
        image_format = QImage.Format.Format_RGBX64
    else:
        image_format = _FORMATS[(pixels.dtype, pixels.shape[2])]
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    stride = pixels.strides[0]
    # QImage on a buffer does not own it; .copy() makes it independent of `pixels`.
    image = QImage(pixels.data, width, height, stride, image_format)
    return image.copy() if copy else image


def from_qimage(image: QImage, with_alpha: bool | None = None) -> np.ndarray:
    """HxWx3 (or x4 when the image has alpha, or `with_alpha`) uint8 copy of `image`'s pixels."""
    alpha = image.hasAlphaChannel() if with_alpha is None else with_alpha
    target = QImage.Format.Format_RGBA8888 if alpha else QImage.Format.Format_RGB888
    converted = image.convertToFormat(target)
    width, height = converted.width(), converted.height()
    channels = 4 if alpha else 3
    stride = converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits(), dtype=np.uint8, count=stride * height)
    rows = buffer.reshape(height, stride)[:, : width * channels]
    return rows.reshape(height, width, channels).copy()


def from_qimage16(image: QImage) -> np.ndarray:
    """HxWx4 uint16 copy of `image` (RGBA64), for round trips of 16-bit pictures."""
    converted = image.convertToFormat(QImage.Format.Format_RGBA64)
    width, height = converted.width(), converted.height()
    stride = converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits(), dtype=np.uint16, count=stride * height // 2)
    rows = buffer.reshape(height, stride // 2)[:, : width * 4]
    return rows.reshape(height, width, 4).copy()
