"""Real photos in and out of the face VAE: find the face and its 5 landmarks, align it like the training
crops, and paste the edit back through a feathered mask over the face only.

The face is found with MTCNN (models/faces, the shipped `face-detector`), and aligned with the similarity
transform that puts its 5 landmarks on the training crops' template (`face_align.TEMPLATE`); the edit is
warped back with the inverse transform. A user-given box restricts the detection to it, and gives the face
(axis-aligned) when none is found there. Only where the MTCNN weights are missing does OpenCV's Haar cascade
stand in (no landmarks: its box is turned into UTKFace's framing with constants measured on 310 UTKFace
faces: the box is 1.06x the crop's side, 0.0825 crop sides above its centre). With no face at all a centred
square is used and `FaceCrop.note` says so.

Pasting the *difference* between the edited and the unedited decode (`reference`) adds only the edit's
change (zero sliders: not one pixel changes), keeping the photo's own detail, which a 64x64 decode cannot
hold; pasting the face itself replaces the face region, and pixels outside the mask never change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from latent_studio.app.core import face_align

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
    def around(cls, cx: float, cy: float, side: float) -> Box:
        whole = max(2, round(side))
        return cls(round(cx - whole / 2), round(cy - whole / 2), whole)


@dataclass(frozen=True)
class FaceCrop:
    """The face at the model's size, where it came from, and what happened."""

    pixels: np.ndarray  # (S, S, 3) uint8
    box: Box  # the square of the photo the crop covers (axis-aligned, for display)
    detected: bool
    note: str
    matrix: np.ndarray | None = None  # (2, 3) photo -> crop; None: the box's own
    landmarks: np.ndarray | None = None  # (5, 2) in photo pixels, when detected

    def transform(self) -> np.ndarray:
        if self.matrix is not None:
            return self.matrix
        return face_align.box_matrix(self.box.x, self.box.y, self.box.size, self.pixels.shape[0])

    def mask(self) -> np.ndarray:
        """The feathered face mask in crop pixels (an ellipse from the landmarks, else the box's superellipse)."""
        points = face_align.apply(self.transform(), self.landmarks) if self.landmarks is not None else None
        return face_align.face_mask(self.pixels.shape[0], points)


@dataclass(frozen=True)
class Located:
    """Where the face is: the photo -> crop transform for a crop of `size`, and what happened."""

    matrix: np.ndarray
    box: Box
    detected: bool
    note: str
    landmarks: np.ndarray | None = None


@functools.lru_cache(maxsize=1)
def _mtcnn():
    """The shipped MTCNN on the CPU, or None where its weights are not installed (a corrupt file raises)."""
    from latent_studio.models.errors import WeightsError
    from latent_studio.models.registry import default_registry

    registry = default_registry()
    try:
        registry.entry(registry.spec("face-detector").weights_file)
    except WeightsError:
        return None
    if not (registry.folder / registry.spec("face-detector").weights_file).is_file():
        return None
    return registry.load_model("face-detector", "cpu")


def detect_landmarks(rgb: np.ndarray) -> list:
    """MTCNN detections (box x1, y1, x2, y2, score, landmarks (5, 2)), best first; [] without the weights."""
    model = _mtcnn()
    if model is None:
        return []
    import torch

    from latent_studio.models.faces.detect import detect

    with _OneThread(torch):
        return detect(model, np.ascontiguousarray(rgb[..., :3]))


class _OneThread:
    """Few small convolutions: one intra-op thread is as fast and leaves the other core alone."""

    def __init__(self, torch) -> None:
        self.torch = torch

    def __enter__(self) -> None:
        self.previous = self.torch.get_num_threads()
        self.torch.set_num_threads(1)

    def __exit__(self, *exc) -> None:
        self.torch.set_num_threads(self.previous)


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
    boxes: list[tuple[int, int, int, int]] = []
    for box in found if len(found) else []:
        x, y, w, h = (round(float(v) / scale) for v in box)
        boxes.append((x, y, w, h))
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


def framing_from_detection(x: int, y: int, w: int, h: int) -> Box:
    """UTKFace's crop around a detector box (see the module docstring for the measured constants)."""
    side = max(w, h) * BOX_TO_CROP
    return Box.around(x + w / 2, y + h / 2 + CENTRE_SHIFT * side, side)


def locate_face(rgb: np.ndarray, size: int, box: Box | None = None, exact: bool = False) -> Located:
    """The face to edit: the largest MTCNN face (inside `box` if given), aligned by its landmarks; else the
    user's box; else (no MTCNN weights) the Haar cascade's framing; else a centred square.

    `exact` takes the box as the face's framing, with no detection (`edit --box`: the user says where the
    face is, e.g. a face photo already cropped like the training faces)."""
    height, width = rgb.shape[:2]
    if box is not None and exact:
        return Located(face_align.box_matrix(box.x, box.y, box.size, size), box, False, "Using the given crop box.")
    # 1. MTCNN on the photo, or on the box (and a margin) when the user gave one
    if box is not None:
        margin = box.size // 4
        x0, y0 = max(0, box.x - margin), max(0, box.y - margin)
        x1, y1 = min(width, box.x + box.size + margin), min(height, box.y + box.size + margin)
        found = detect_landmarks(rgb[y0:y1, x0:x1]) if x1 - x0 >= 12 and y1 - y0 >= 12 else []
        offset = np.array([x0, y0], np.float64)
        found = [
            f
            for f in found
            if box.x <= (f.box[0] + f.box[2]) / 2 + x0 <= box.x + box.size
            and box.y <= (f.box[1] + f.box[3]) / 2 + y0 <= box.y + box.size
        ]
    else:
        found, offset = detect_landmarks(rgb), np.zeros(2)
    if found:
        best = max(found, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
        landmarks = best.landmarks.astype(np.float64) + offset
        matrix = face_align.alignment(landmarks, size)
        centre = face_align.apply(face_align.invert(matrix), np.array([[size / 2, size / 2]]))[0]
        extra = f" ({len(found)} faces found; using the largest)" if len(found) > 1 else ""
        where = " in your box" if box is not None else ""
        return Located(
            matrix,
            Box.around(centre[0], centre[1], size / face_align.scale_of(matrix)),
            True,
            f"Face and landmarks detected{where}{extra}; aligned like the training faces.",
            landmarks,
        )
    # 2. the user's box as it is
    if box is not None:
        return Located(face_align.box_matrix(box.x, box.y, box.size, size), box, False, "Using the given crop box.")
    # 3. the Haar cascade, only where the MTCNN weights are missing
    faces = detect_faces(rgb) if _mtcnn() is None else []
    if faces:
        framed = framing_from_detection(*faces[0])
        extra = f" ({len(faces)} faces found; using the largest)" if len(faces) > 1 else ""
        return Located(
            face_align.box_matrix(framed.x, framed.y, framed.size, size),
            framed,
            True,
            "Face detected" + extra + " (Haar fallback: no landmarks, not aligned).",
        )
    side = min(height, width)
    centred = Box.around(width / 2, height / 2, side)
    why = "No face was found" if _mtcnn() is not None or detector_available() else "Face detection is unavailable"
    return Located(
        face_align.box_matrix(centred.x, centred.y, centred.size, size),
        centred,
        False,
        f"{why}; using a centred square crop (give a crop box to choose the face).",
    )


def find_face_box(rgb: np.ndarray, box: Box | None = None) -> tuple[Box, bool, str]:
    """(box, detected, note): the square the face crop covers (see `locate_face`)."""
    located = locate_face(rgb, 64, box)
    return located.box, located.detected, located.note


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


def crop_face(rgb: np.ndarray, size: int, box: Box | None = None, exact: bool = False) -> FaceCrop:
    """Find (or take: `exact`) the face and warp it into the model's frame at size x size."""
    rgb = rgb[..., :3]
    located = locate_face(rgb, size, box, exact)
    pixels = face_align.warp_in(rgb, located.matrix, size)
    return FaceCrop(pixels, located.box, located.detected, located.note, located.matrix, located.landmarks)


def feather_mask(size: int, feather: float = 0.15, power: float = 4.0) -> np.ndarray:
    """(size, size) float32 in [0, 1]: 1 inside a superellipse, falling to 0 at the box's edge."""
    coords = np.linspace(-1, 1, size, dtype=np.float32)  # edge pixels get weight 0: no seam at the box
    radius = (np.abs(coords)[None, :] ** power + np.abs(coords)[:, None] ** power) ** (1 / power)
    return np.clip((1 - radius) / feather, 0, 1).astype(np.float32)


def paste_back(
    photo: np.ndarray, face: np.ndarray, crop: FaceCrop | Box, reference: np.ndarray | None = None
) -> np.ndarray:
    """The photo with `face` (model size) put back where `crop` came from, under its feathered face mask;
    with `reference` (the unedited decode) only (face - reference) is added, so zero sliders change nothing.

    The photo keeps its size, dtype and alpha; pixels outside the mask are untouched.
    """
    if isinstance(crop, Box):
        crop = FaceCrop(np.zeros((face.shape[0], face.shape[0], 3), np.uint8), crop, False, "")
    size = face.shape[0]
    if crop.pixels.shape[0] != size:  # a crop made at another size: same place, this size
        crop = FaceCrop(
            np.zeros((size, size, 3), np.uint8),
            crop.box,
            crop.detected,
            crop.note,
            None if crop.matrix is None else crop.matrix * (size / crop.pixels.shape[0]),
            crop.landmarks,
        )
    face01 = face.astype(np.float32) / 255.0
    if reference is not None:
        return face_align.paste_change(
            photo, face01 - reference.astype(np.float32) / 255.0, crop.transform(), crop.mask(), False
        )
    return face_align.paste_change(photo, face01, crop.transform(), crop.mask(), True)
