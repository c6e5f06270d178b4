"""Real photos in and out of the face VAE: find the face, crop it to UTKFace's framing, paste the edit back.

The VAE only knows UTKFace's tight, aligned crops, so a photo's face is found with OpenCV's bundled
Haar cascade and its box is turned into that framing. The framing constants were measured by running the
same cascade on 310 UTKFace faces (every 30th file): the detector's box is 1.06x the crop's side (IQR
1.02-1.12), centred horizontally and 0.0825 crop sides above the crop's centre. A user-given box (square
in photo pixels) wins over detection. With no face found, or no cascade (OpenCV 5 no longer bundles Haar
cascades), a centred square is used and `FaceCrop.note` says so.

The edit goes back through a feathered superellipse mask that is zero outside the box, so pixels outside
the box never change. Pasting the *difference* between the edited and the unedited decode (`reference`)
keeps the photo's own detail, which a 64x64 decode cannot hold.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

BOX_TO_CROP = 1 / 1.06  # crop side per detector-box side
CENTRE_SHIFT = 0.0825  # crop centre lies this many crop sides below the detector box's centre
CASCADE = "haarcascade_frontalface_default.xml"
DETECT_MAX_SIDE = 800  # detection runs on a copy at most this large: fast, and big enough for faces


@dataclass(frozen=True)
class Box:
    """A square in photo pixels (may reach past the photo's edges: those parts are edge-padded)."""

    x: int
    y: int
    size: int

    @classmethod
    def around(cls, cx: float, cy: float, side: float) -> "Box":
        side = max(2, int(round(side)))
        return cls(int(round(cx - side / 2)), int(round(cy - side / 2)), side)


@dataclass(frozen=True)
class FaceCrop:
    """The face at the model's size, where it came from, and what happened."""

    pixels: np.ndarray  # (S, S, 3) uint8
    box: Box
    detected: bool
    note: str


@functools.lru_cache(maxsize=1)
def _cascade():
    """The bundled frontal-face cascade, or None where OpenCV does not ship one."""
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if not folder or not hasattr(cv2, "CascadeClassifier") or not (Path(folder) / CASCADE).is_file():
        return None
    classifier = cv2.CascadeClassifier(str(Path(folder) / CASCADE))
    return None if classifier.empty() else classifier


def detector_available() -> bool:
    return _cascade() is not None


def detect_faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h) in photo pixels, largest first; [] when none is found or no detector exists."""
    cascade = _cascade()
    if cascade is None:
        return []
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    scale = min(1.0, DETECT_MAX_SIDE / max(gray.shape))
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    min_side = max(24, int(0.06 * min(gray.shape)))
    found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    boxes = [tuple(int(round(v / scale)) for v in box) for box in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


def framing_from_detection(x: int, y: int, w: int, h: int) -> Box:
    """UTKFace's crop around a detector box (see the module docstring for the measured constants)."""
    side = max(w, h) * BOX_TO_CROP
    return Box.around(x + w / 2, y + h / 2 + CENTRE_SHIFT * side, side)


def find_face_box(rgb: np.ndarray, box: Box | None = None) -> tuple[Box, bool, str]:
    """(box, detected, note): the user's box, else the largest detected face, else a centred square."""
    if box is not None:
        return box, False, "Using the given crop box."
    faces = detect_faces(rgb)
    if faces:
        extra = f" ({len(faces)} faces found; using the largest)" if len(faces) > 1 else ""
        return framing_from_detection(*faces[0]), True, "Face detected" + extra + "."
    height, width = rgb.shape[:2]
    side = min(height, width)
    why = "No face was found" if detector_available() else "Face detection is unavailable (this OpenCV has no Haar cascade)"
    return Box.around(width / 2, height / 2, side), False, f"{why}; using a centred square crop (give a crop box to choose the face)."


def crop_box(rgb: np.ndarray, box: Box, size: int) -> np.ndarray:
    """The square `box` of the photo resized to size x size (parts outside the photo are edge-padded)."""
    rgb = rgb[..., :3]
    height, width = rgb.shape[:2]
    pad = max(0, -box.x, -box.y, box.x + box.size - width, box.y + box.size - height)
    if pad:
        rgb = cv2.copyMakeBorder(np.ascontiguousarray(rgb), pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    region = rgb[box.y + pad : box.y + pad + box.size, box.x + pad : box.x + pad + box.size]
    interpolation = cv2.INTER_AREA if box.size > size else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(np.ascontiguousarray(region), (size, size), interpolation=interpolation))


def crop_face(rgb: np.ndarray, size: int, box: Box | None = None) -> FaceCrop:
    """Find (or take) the face and crop it to the model's framing and size."""
    found, detected, note = find_face_box(rgb, box)
    return FaceCrop(crop_box(rgb, found, size), found, detected, note)


def feather_mask(size: int, feather: float = 0.15, power: float = 4.0) -> np.ndarray:
    """(size, size) float32 in [0, 1]: 1 inside a superellipse, falling to 0 at the box's edge."""
    coords = np.linspace(-1, 1, size, dtype=np.float32)  # edge pixels get weight 0: no seam at the box
    radius = (np.abs(coords)[None, :] ** power + np.abs(coords)[:, None] ** power) ** (1 / power)
    return np.clip((1 - radius) / feather, 0, 1).astype(np.float32)


def paste_back(photo: np.ndarray, face: np.ndarray, crop: "FaceCrop | Box", reference: np.ndarray | None = None,
               feather: float = 0.15) -> np.ndarray:
    """The photo with `face` blended into `box`; with `reference`, only (face - reference) is added.

    The photo keeps its size, dtype and alpha; pixels outside the box are untouched.
    """
    box = crop.box if isinstance(crop, FaceCrop) else crop
    result = photo.copy()
    height, width = photo.shape[:2]
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(width, box.x + box.size), min(height, box.y + box.size)
    if x0 >= x1 or y0 >= y1:
        return result
    scale = 65535.0 if photo.dtype == np.uint16 else 255.0

    def resized(image: np.ndarray) -> np.ndarray:
        big = cv2.resize(image.astype(np.float32) / 255.0, (box.size, box.size), interpolation=cv2.INTER_CUBIC)
        return big[y0 - box.y : y1 - box.y, x0 - box.x : x1 - box.x]

    mask = feather_mask(box.size, feather)[y0 - box.y : y1 - box.y, x0 - box.x : x1 - box.x, None]
    region = photo[y0:y1, x0:x1, :3].astype(np.float32) / scale
    if reference is not None:
        target = np.clip(region + resized(face) - resized(reference), 0, 1)
    else:
        target = np.clip(resized(face), 0, 1)
    blended = region * (1 - mask) + target * mask
    result[y0:y1, x0:x1, :3] = (blended * scale + 0.5).astype(photo.dtype)
    return result
